package client_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/scimd/scimd/client"
	"github.com/scimd/scimd/internal/scimdtest"
)

// What the examples use: a running scimd with the workspace acme, its
// app token, and its user ada with an API key.
var (
	scimdURL string
	appToken string
	userID   string
	apiKey   string
)

// TestMain starts the examples' server, which they cannot start
// themselves: they have no *testing.T.
func TestMain(m *testing.M) {
	mt := &mainT{}
	code := func() int {
		defer mt.cleanup()
		srv := scimdtest.Start(mt)
		ws := srv.NewWorkspace("acme")
		scimdURL, appToken = srv.URL, ws.AppToken
		userID = srv.CreateUser(ws, "ada@example.com")
		c, err := client.New(scimdURL, appToken, client.WithWorkspace("acme"))
		if err != nil {
			panic(err)
		}
		k, err := c.IssueAPIKey(context.Background(), userID, "laptop", time.Time{})
		if err != nil {
			panic(err)
		}
		apiKey = k.Secret
		return m.Run()
	}()
	os.Exit(code)
}

// mainT is the scimdtest.T of TestMain.
type mainT struct{ cleanups []func() }

func (*mainT) Helper()                           {}
func (*mainT) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (*mainT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (m *mainT) Cleanup(f func())                { m.cleanups = append(m.cleanups, f) }

func (m *mainT) TempDir() string {
	dir, err := os.MkdirTemp("", "scimd-example")
	if err != nil {
		panic(err)
	}
	m.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (m *mainT) cleanup() {
	for i := len(m.cleanups) - 1; i >= 0; i-- {
		m.cleanups[i]()
	}
}
