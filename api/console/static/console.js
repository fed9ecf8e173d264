// The console's only script: small helpers on top of pages that work
// without it. No framework, no build step.
(function () {
  "use strict";

  // Pages may word things differently for a browser that runs this script
  // (the .when hints of fields that follow a choice are for one that does not).
  document.documentElement.className += " js";

  // <form data-confirm="…">: ask before sending.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var text = form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      e.preventDefault();
      return;
    }
    // One click, one submission (filing also carries an idempotency key).
    var buttons = form.querySelectorAll("button[type=submit]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = true;
    }
  });

  // Coming back to a page from the history re-enables its buttons.
  window.addEventListener("pageshow", function () {
    var buttons = document.querySelectorAll("button[disabled]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = false;
    }
  });

  // <a data-back>: go back when there is somewhere to go back to.
  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest("a[data-back]") : null;
    if (a && window.history.length > 1) {
      e.preventDefault();
      window.history.back();
    }
  });

  // <div data-show-when="field=value1,value2">: shown only while the form's
  // control named field has one of the values (fields that follow a choice).
  function sync(form) {
    var blocks = form.querySelectorAll("[data-show-when]");
    for (var i = 0; i < blocks.length; i++) {
      var rule = blocks[i].getAttribute("data-show-when").split("=");
      var control = form.elements[rule[0]];
      var value = control ? control.value : "";
      var show = rule[1].split(",").indexOf(value) >= 0;
      blocks[i].hidden = !show;
      var inputs = blocks[i].querySelectorAll("input, select, textarea");
      for (var j = 0; j < inputs.length; j++) {
        inputs[j].disabled = !show;
      }
    }
  }
  document.addEventListener("change", function (e) {
    if (e.target.form) {
      sync(e.target.form);
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.forms;
    for (var i = 0; i < forms.length; i++) {
      sync(forms[i]);
    }
  });
})();
