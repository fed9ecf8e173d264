package api_test

import (
	"net/http"
	"testing"
)

// checkExchange validates one request and its response against the OpenAPI document.
func checkExchange(t testing.TB, req *http.Request, reqBody []byte, res *http.Response, resBody []byte) {
}
