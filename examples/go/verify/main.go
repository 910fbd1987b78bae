// Command verify asks scimd whether an API key or session token is
// valid, and prints whose it is:
//
//	SCIMD_URL=http://127.0.0.1:8080 SCIMD_APP_TOKEN=scimd_app_… go run ./verify scimd_key_…
//
// It exits 0 for a valid credential, 1 for one that is not, and 2 when
// scimd cannot say.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/scimd/scimd/client"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: verify KEY (with SCIMD_URL and SCIMD_APP_TOKEN set)")
		os.Exit(2)
	}
	c, err := client.New(os.Getenv("SCIMD_URL"), os.Getenv("SCIMD_APP_TOKEN"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := c.Verify(ctx, os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if !v.Valid {
		fmt.Println("not valid:", v.Reason)
		os.Exit(1)
	}
	fmt.Printf("valid: %s (%s), roles %v, groups %v\n", v.User.UserName, v.User.ID, v.User.Roles, v.User.Groups)
}
