package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openapiDoc is the OpenAPI 3 description of every route; a test keeps it
// and the router in agreement, and the API tests validate every exchange
// against it.
//
//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the embedded OpenAPI document.
func OpenAPI() []byte { return openapiDoc }

func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", openapiDoc)
}
