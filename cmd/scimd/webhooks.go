package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/scimd/scimd/client/admin"
)

// webhookCommands are the commands on a workspace's webhooks.
func webhookCommands() map[string]func(context.Context, []string, io.Writer, io.Writer) error {
	return map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"webhook list":          webhookList,
		"webhook create":        webhookCreate,
		"webhook show":          webhookOne("show", http.MethodGet, ""),
		"webhook set":           webhookSet,
		"webhook delete":        webhookDelete,
		"webhook rotate-secret": webhookOne("rotate-secret", http.MethodPost, "rotate-secret"),
		"webhook deliveries":    webhookDeliveries,
		"webhook redeliver":     webhookRedeliver,
		"webhook delivery":      webhookDelivery,
		"webhook test":          webhookTest,
	}
}

const webhookUsage = `Usage:
  scimd webhook list --workspace SLUG
  scimd webhook create --workspace SLUG --url URL [--events TYPES] [--disabled]
  scimd webhook show --workspace SLUG ID
  scimd webhook set --workspace SLUG ID [--url URL] [--events TYPES] [--enabled true|false]
  scimd webhook delete --workspace SLUG ID --yes
  scimd webhook rotate-secret --workspace SLUG ID
  scimd webhook deliveries --workspace SLUG ID [--status pending|delivered|dead] [--limit N]
  scimd webhook delivery --workspace SLUG ID DELIVERY_ID
  scimd webhook redeliver --workspace SLUG ID DELIVERY_ID
  scimd webhook test --workspace SLUG ID

Webhooks receive a workspace's events, POSTed and signed as Standard
Webhooks. The signing secret (whsec_…) is printed when a webhook is
created and when its secret is rotated, and never again. --events takes
event types separated by commas (user.created), or a noun's every type
(group.*); without it a webhook gets every event. A failed delivery is
retried with backoff, then marked dead; deliveries shows them, delivery
one with the body sent, and redeliver sends one again now. test sends a
webhook.test event to the webhook alone, through its delivery log.

Examples:
  scimd webhook create --workspace acme --url https://app.example.com/hooks/scimd --events 'user.*,group.member_added'
  scimd webhook deliveries --workspace acme wh_5xq2m7kd3c9wefha --status dead
  scimd webhook redeliver --workspace acme wh_5xq2m7kd3c9wefha dlv_4z7ak2m3c9wefhaq
`

// webhookFlags returns the flag set of a webhook command, with the flags
// the commands on a workspace's things share.
func webhookFlags(name string, stderr io.Writer) (*flag.FlagSet, *commandFlags) {
	fs := newFlags("webhook "+name, webhookUsage, stderr)
	return fs, newCommandFlags(fs, onWorkspace, jsonUsage)
}

// eventTypes reads --events: "all" is every type, nil; an empty list is
// an error rather than every type.
func eventTypes(s string) ([]string, error) {
	if strings.TrimSpace(s) == "all" {
		return nil, nil
	}
	var out []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	if out == nil {
		return nil, fmt.Errorf("--events %q: give event types separated by commas, or all", s)
	}
	return out, nil
}

func printWebhooks(w io.Writer, hooks []admin.Webhook) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tURL\tEVENTS\tENABLED\tCREATED")
	for _, h := range hooks {
		events := "all"
		if h.EventTypes != nil {
			events = strings.Join(h.EventTypes, ",")
		}
		enabled := strconv.FormatBool(h.Enabled)
		if h.DisabledReason != "" {
			enabled += " (" + h.DisabledReason + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.ID, h.URL, events, enabled, formatWhen(&h.Created))
	}
	return tw.Flush()
}

// printWebhook prints one webhook, with its secret if the API showed it.
func printWebhook(w io.Writer, h admin.NewWebhook) error {
	if err := printWebhooks(w, []admin.Webhook{h.Webhook}); err != nil {
		return err
	}
	if h.Secret != "" {
		fmt.Fprintf(w, "signing secret, shown once:\n%s\n", h.Secret)
	}
	return nil
}

func webhookList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := webhookFlags("list", stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) > 0 {
		return errors.New("usage: scimd webhook list --workspace SLUG")
	}
	defer f.close()
	var out struct {
		Webhooks []admin.Webhook `json:"webhooks"`
	}
	raw, err := f.do(ctx, http.MethodGet, admin.Path("workspaces", f.slug, "webhooks"), nil, nil, &out)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	return printWebhooks(stdout, out.Webhooks)
}

func webhookCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := webhookFlags("create", stderr)
	u := fs.String("url", "", "the endpoint: an absolute http or https URL")
	events := fs.String("events", "all", "event types separated by commas, e.g. 'user.*,group.created'; all: every type")
	disabled := fs.Bool("disabled", false, "create it disabled")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || *u == "" || len(pos) > 0 {
		return errors.New("usage: scimd webhook create --workspace SLUG --url URL [--events TYPES] [--disabled]")
	}
	body := map[string]any{"url": *u, "enabled": !*disabled}
	if f.set("events") {
		t, err := eventTypes(*events)
		if err != nil {
			return err
		}
		body["event_types"] = t
	}
	defer f.close()
	var h admin.NewWebhook
	raw, err := f.do(ctx, http.MethodPost, admin.Path("workspaces", f.slug, "webhooks"), nil, body, &h)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	return printWebhook(stdout, h)
}

func webhookSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := webhookFlags("set", stderr)
	u := fs.String("url", "", "a new endpoint")
	events := fs.String("events", "", "the event types it receives, separated by commas; 'all' for every type")
	enabled := fs.String("enabled", "", "true or false")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 1 {
		return errors.New("usage: scimd webhook set --workspace SLUG ID [--url URL] [--events TYPES] [--enabled true|false]")
	}
	body := map[string]any{}
	if f.set("url") {
		body["url"] = *u
	}
	if f.set("events") {
		t, err := eventTypes(*events)
		if err != nil {
			return err
		}
		body["event_types"] = t
	}
	if f.set("enabled") {
		b, err := strconv.ParseBool(*enabled)
		if err != nil {
			return fmt.Errorf("--enabled %q: want true or false", *enabled)
		}
		body["enabled"] = b
	}
	if len(body) == 0 {
		return errors.New("nothing to change: give --url, --events or --enabled")
	}
	defer f.close()
	var h admin.NewWebhook
	raw, err := f.do(ctx, http.MethodPatch, admin.Path("workspaces", f.slug, "webhooks", pos[0]), nil, body, &h)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	return printWebhook(stdout, h)
}

// webhookOne returns the command that sends method to
// /workspaces/{slug}/webhooks/{id}[/sub].
func webhookOne(name, method, sub string) func(context.Context, []string, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs, f := webhookFlags(name, stderr)
		pos, err := parseArgs(fs, args)
		if err != nil {
			return err
		}
		if f.slug == "" || len(pos) != 1 {
			return fmt.Errorf("usage: scimd webhook %s --workspace SLUG ID", name)
		}
		defer f.close()
		path := admin.Path("workspaces", f.slug, "webhooks", pos[0])
		if sub != "" {
			path += admin.Path(sub)
		}
		var h admin.NewWebhook
		raw, err := f.do(ctx, method, path, nil, nil, &h)
		if err != nil {
			return err
		}
		if f.asJSON {
			return printRaw(stdout, raw)
		}
		return printWebhook(stdout, h)
	}
}

func webhookDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := webhookFlags("delete", stderr)
	yes := fs.Bool("yes", false, "delete it: its secret and delivery log go with it")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 1 {
		return errors.New("usage: scimd webhook delete --workspace SLUG ID --yes")
	}
	if !*yes {
		return fmt.Errorf("deleting webhook %s deletes its delivery log, and what is pending is not sent: add --yes to do it", pos[0])
	}
	defer f.close()
	if _, err := f.do(ctx, http.MethodDelete, admin.Path("workspaces", f.slug, "webhooks", pos[0]), nil, nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted webhook %s of workspace %s\n", pos[0], f.slug)
	return nil
}

// printDeliveries prints deliveries with their last attempt, and under
// each the attempts one by one when it has several, or any with every.
func printDeliveries(w io.Writer, ds []admin.Delivery, every bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEVENT\tTYPE\tSTATUS\tATTEMPTS\tLAST ATTEMPT\tLAST RESULT\tNEXT ATTEMPT")
	for _, d := range ds {
		result := d.LastError
		if d.LastStatus != nil {
			result = strings.TrimSpace(strconv.Itoa(*d.LastStatus) + " " + result)
		}
		next := "-"
		if d.NextAttempt != nil {
			next = formatWhen(d.NextAttempt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.EventID, d.EventType, d.Status, d.Attempts,
			formatWhen(d.LastAttempt), cmp.Or(result, "-"), next)
		if len(d.AttemptLog) > 1 || every && len(d.AttemptLog) > 0 {
			// Every attempt, under the last one's columns.
			for i, a := range d.AttemptLog {
				result := cmp.Or(a.Error, a.Response)
				if a.Status != nil {
					result = strings.TrimSpace(strconv.Itoa(*a.Status) + " " + result)
				}
				fmt.Fprintf(tw, "\t\t\t\t  attempt %d\t%s\t%s\t\n", i+1, formatWhen(&a.At), cmp.Or(result, "-"))
			}
		}
	}
	return tw.Flush()
}

func webhookDeliveries(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := webhookFlags("deliveries", stderr)
	status := fs.String("status", "", "only deliveries in this state: pending, delivered or dead")
	limit := fs.Int("limit", 100, "list at most this many, newest event first (1-1000)")
	cursor := fs.String("cursor", "", "start after the deliveries listed already, as the last line of the listing before says")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 1 {
		return errors.New("usage: scimd webhook deliveries --workspace SLUG ID [--status pending|delivered|dead] [--limit N]")
	}
	defer f.close()
	q := url.Values{"limit": {strconv.Itoa(*limit)}}
	if *status != "" {
		q.Set("status", *status)
	}
	if *cursor != "" {
		q.Set("cursor", *cursor)
	}
	var out struct {
		Deliveries []admin.Delivery `json:"deliveries"`
		NextCursor string           `json:"next_cursor"`
	}
	raw, err := f.do(ctx, http.MethodGet, admin.Path("workspaces", f.slug, "webhooks", pos[0], "deliveries"), q, nil, &out)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	if err := printDeliveries(stdout, out.Deliveries, false); err != nil {
		return err
	}
	if out.NextCursor != "" {
		fmt.Fprintf(stdout, "(more with --cursor %s)\n", out.NextCursor)
	}
	return nil
}

func webhookRedeliver(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := webhookFlags("redeliver", stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 2 {
		return errors.New("usage: scimd webhook redeliver --workspace SLUG ID DELIVERY_ID")
	}
	defer f.close()
	var d admin.Delivery
	raw, err := f.do(ctx, http.MethodPost, admin.Path("workspaces", f.slug, "webhooks", pos[0], "deliveries", pos[1], "redeliver"), nil, nil, &d)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	return printDeliveries(stdout, []admin.Delivery{d}, false)
}

// webhookDelivery prints one delivery, its attempts and the body sent.
func webhookDelivery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := webhookFlags("delivery", stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 2 {
		return errors.New("usage: scimd webhook delivery --workspace SLUG ID DELIVERY_ID")
	}
	defer f.close()
	var d admin.DeliveryDetail
	raw, err := f.do(ctx, http.MethodGet, admin.Path("workspaces", f.slug, "webhooks", pos[0], "deliveries", pos[1]), nil, nil, &d)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	if err := printDeliveries(stdout, []admin.Delivery{d.Delivery}, true); err != nil {
		return err
	}
	if string(d.Payload) == "null" || len(d.Payload) == 0 {
		fmt.Fprintln(stdout, "payload: no longer in the outbox")
		return nil
	}
	fmt.Fprintln(stdout, "payload:")
	return printRaw(stdout, d.Payload)
}

// webhookTest sends a test event to a webhook and prints its delivery.
func webhookTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := webhookFlags("test", stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 1 {
		return errors.New("usage: scimd webhook test --workspace SLUG ID")
	}
	defer f.close()
	var d admin.TestDelivery
	raw, err := f.do(ctx, http.MethodPost, admin.Path("workspaces", f.slug, "webhooks", pos[0], "test"), nil, nil, &d)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	if err := printDeliveries(stdout, []admin.Delivery{d.Delivery}, false); err != nil {
		return err
	}
	if d.Warning != "" {
		fmt.Fprintln(stdout, "warning:", d.Warning)
	}
	return nil
}
