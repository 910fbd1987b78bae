package server_test

import (
	"encoding/json"
	"github.com/scimd/scimd/internal/server"
	"net/url"
	"strconv"
)

// q escapes a query parameter value.
func q(s string) string { return url.QueryEscape(s) }

func jsonInt(n int) json.Number { return json.Number(strconv.Itoa(n)) }

func defaultConfig() server.Config { return server.DefaultConfig() }
