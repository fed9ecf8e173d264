package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"qinqing/api"
)

// The OpenAPI document is loaded, validated and turned into a router once
// per test binary; the document and router are only read afterwards, so
// parallel tests share them.
var openapiRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := loadOpenAPI()
	if err != nil {
		return nil, err
	}
	// The document's only server is "/": the router matches on the path
	// alone, whatever host the httptest server listens on.
	return gorillamux.NewRouter(doc)
})

// loadOpenAPI parses and validates the embedded document.
func loadOpenAPI() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI 3 document: %w", err)
	}
	return doc, nil
}

// validationOptions: authentication is the server's business (a missing or
// bad token must answer the documented 401), and a status the operation
// does not list is an error.
var validationOptions = &openapi3filter.Options{
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	IncludeResponseStatus: true,
	MultiError:            true,
}

// checkExchange validates one request and its response against the OpenAPI document.
//
//   - A path or method the document does not name must have been answered
//     404 or 405 (tests probe unknown routes on purpose); nothing more is
//     checked.
//   - A request the document rejects (tests send bad input on purpose:
//     unknown fields, wrong types, oversized bodies …) must have been
//     answered 4xx, never 2xx or 5xx.
//   - Every response to a documented route, to bad requests included, must
//     match the document: status listed, headers, content type and body.
func checkExchange(t testing.TB, req *http.Request, reqBody []byte, res *http.Response, resBody []byte) {
	t.Helper()
	router, err := openapiRouter()
	if err != nil {
		t.Fatal(err)
	}
	// The client consumed the request body: validate a copy carrying it.
	r := req.Clone(context.Background())
	r.Body, r.GetBody = http.NoBody, nil
	// A body of white space alone is no JSON document: the server reads it
	// as an absent body, and so does the check.
	if reqBody != nil && len(bytes.TrimSpace(reqBody)) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	exchange := fmt.Sprintf("%s %s → %d", req.Method, req.URL.RequestURI(), res.StatusCode)

	route, params, err := router.FindRoute(r)
	if err != nil {
		if !errors.Is(err, routers.ErrPathNotFound) && !errors.Is(err, routers.ErrMethodNotAllowed) {
			t.Errorf("openapi: %s: find route: %v", exchange, err)
			return
		}
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("openapi: %s: the document has no such operation (%v), yet the server did not answer 404 or 405; body: %s",
				exchange, err, clip(resBody))
		}
		return
	}

	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: validationOptions}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && (res.StatusCode < 400 || res.StatusCode > 499) {
		t.Errorf("openapi: %s: the document rejects this request, yet the server answered %d (want 4xx)\nrequest body: %s\nvalidation: %v\nresponse body: %s",
			exchange, res.StatusCode, clip(reqBody), err, clip(resBody))
	}

	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode,
		Header: res.Header, Options: validationOptions}
	out.SetBodyBytes(resBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("openapi: %s: the response does not match the document (operation %s)\nvalidation: %v\nContent-Type: %s\nresponse body: %s",
			exchange, route.Operation.OperationID, err, res.Header.Get("Content-Type"), clip(resBody))
	}
}

// clip shortens a body for a failure message.
func clip(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max]) + fmt.Sprintf("… (%d bytes)", len(b))
	}
	return string(b)
}
