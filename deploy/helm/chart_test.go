// Package helm holds scimd's Helm chart (scimd/) and its tests, which lint
// and render it with the helm command, built from deploy/go.mod, as a user
// would run it.
package helm

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// helmBin is the helm command: $HELM, or one TestMain builds from
// deploy/go.mod.
var helmBin = os.Getenv("HELM")

func TestMain(m *testing.M) {
	if helmBin != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "helm")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	helmBin = filepath.Join(dir, "helm")
	build := exec.Command("go", "build", "-o", helmBin, "helm.sh/helm/v3/cmd/helm")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build helm:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// helm runs the helm command with a home of its own, and returns its
// standard output.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(helmBin, args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %v: %s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// The two ways to run scimd, as a user would install them.
var (
	sqlite   = []string{"--set", "ingress.enabled=true"}
	postgres = []string{"--set", "database=postgres,replicas=3,existingSecret=scimd,ingress.enabled=true,serviceMonitor.enabled=true"}
)

func TestLint(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{"sqlite": sqlite, "postgres": postgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if out, err := helm(t, append([]string{"lint", "--strict", "scimd"}, args...)...); err != nil {
				t.Error(err)
			} else if !strings.Contains(out, "0 chart(s) failed") {
				t.Errorf("helm lint: %s", out)
			}
		})
	}
}

// manifests is what helm template rendered, by kind and name.
type manifests map[string]map[string][]byte

func render(t *testing.T, args ...string) manifests {
	t.Helper()
	out, err := helm(t, append([]string{"template", "scimd", "scimd", "--namespace", "idp"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	m := manifests{}
	for doc := range strings.SplitSeq(out, "\n---\n") {
		var meta struct {
			Kind     string
			Metadata struct{ Name string }
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("%v in:\n%s", err, doc)
		}
		if meta.Kind == "" {
			continue
		}
		if m[meta.Kind] == nil {
			m[meta.Kind] = map[string][]byte{}
		}
		m[meta.Kind][meta.Metadata.Name] = []byte(doc)
	}
	return m
}

// get decodes the one object of a kind and name, failing if there is none.
func get[T any](t *testing.T, m manifests, kind, name string) T {
	t.Helper()
	var v T
	doc, ok := m[kind][name]
	if !ok {
		t.Fatalf("no %s %q among %v", kind, name, m.names())
	}
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		t.Fatalf("%s %s: %v", kind, name, err)
	}
	return v
}

func (m manifests) names() []string {
	var s []string
	for kind, byName := range m {
		for name := range byName {
			s = append(s, kind+"/"+name)
		}
	}
	return s
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	m := render(t, sqlite...)
	if _, ok := m["Deployment"]; ok {
		t.Error("a Deployment with SQLite: replicas would not share the database")
	}
	sts := get[appsv1.StatefulSet](t, m, "StatefulSet", "scimd")
	if r := sts.Spec.Replicas; r == nil || *r != 1 {
		t.Errorf("replicas %v, want 1", r)
	}
	if n := len(sts.Spec.VolumeClaimTemplates); n != 1 || sts.Spec.VolumeClaimTemplates[0].Name != "data" {
		t.Fatalf("volume claims %v, want one named data", sts.Spec.VolumeClaimTemplates)
	}
	c := container(t, sts.Spec.Template.Spec)
	if !mounted(c, "data", "/data") {
		t.Errorf("the data volume is not mounted at /data: %v", c.VolumeMounts)
	}
	if got := env(c)["SCIMD_DB"].Value; got != "sqlite:/data/scimd.db" {
		t.Errorf("SCIMD_DB %q, want the database on the volume", got)
	}
	if _, ok := env(c)["SCIMD_SECRET_FILE"]; ok {
		t.Error("SCIMD_SECRET_FILE without existingSecret: the secret belongs beside the database")
	}
	checkPod(t, m, sts.Spec.Template)
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	m := render(t, postgres...)
	if _, ok := m["StatefulSet"]; ok {
		t.Error("a StatefulSet with PostgreSQL")
	}
	d := get[appsv1.Deployment](t, m, "Deployment", "scimd")
	if r := d.Spec.Replicas; r == nil || *r != 3 {
		t.Errorf("replicas %v, want 3", r)
	}
	pod := d.Spec.Template.Spec
	c := container(t, pod)
	db := env(c)["SCIMD_DB"]
	if ref := db.ValueFrom; db.Value != "" || ref == nil || ref.SecretKeyRef == nil ||
		ref.SecretKeyRef.Name != "scimd" || ref.SecretKeyRef.Key != "database-url" {
		t.Errorf("SCIMD_DB %+v, want it from the Secret scimd, key database-url", db)
	}
	// The installation secret is a file from the Secret, not a variable
	// that shows in the pod's description.
	file := env(c)["SCIMD_SECRET_FILE"].Value
	var found bool
	for _, v := range pod.Volumes {
		if s := v.Secret; s != nil && s.SecretName == "scimd" && len(s.Items) == 1 &&
			s.Items[0].Key == "installation-secret" && mounted(c, v.Name, filepath.Dir(file)) &&
			s.Items[0].Path == filepath.Base(file) {
			found = true
		}
	}
	if !found {
		t.Errorf("SCIMD_SECRET_FILE %q is not the key installation-secret of the Secret scimd: %v %v", file, pod.Volumes, c.VolumeMounts)
	}
	if _, ok := env(c)["SCIMD_SECRET"]; ok {
		t.Error("SCIMD_SECRET is set: the secret would show in the pod's environment")
	}
	checkPod(t, m, d.Spec.Template)

	// Prometheus scrapes the admin listener, where /metrics is.
	var sm struct {
		Spec struct {
			Selector  struct{ MatchLabels map[string]string }
			Endpoints []struct{ Port, Path string }
		}
	}
	if err := yaml.Unmarshal(m["ServiceMonitor"]["scimd"], &sm); err != nil {
		t.Fatal(err)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "admin" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v, want /metrics on port admin", sm.Spec.Endpoints)
	}
	if got := selected(t, m, sm.Spec.Selector.MatchLabels); len(got) != 1 || got[0] != "scimd-admin" {
		t.Errorf("ServiceMonitor selects the Services %v, want scimd-admin only", got)
	}
}

func TestAdminOnSCIMListener(t *testing.T) {
	t.Parallel()
	m := render(t, append(postgres, "--set", "admin.enabled=false")...)
	if _, ok := m["Service"]["scimd-admin"]; ok {
		t.Error("an admin Service without an admin listener")
	}
	d := get[appsv1.Deployment](t, m, "Deployment", "scimd")
	if _, ok := env(container(t, d.Spec.Template.Spec))["SCIMD_ADMIN_ADDR"]; ok {
		t.Error("SCIMD_ADMIN_ADDR is set with admin.enabled=false")
	}
	var sm struct {
		Spec struct {
			Selector  struct{ MatchLabels map[string]string }
			Endpoints []struct{ Port string }
		}
	}
	if err := yaml.Unmarshal(m["ServiceMonitor"]["scimd"], &sm); err != nil {
		t.Fatal(err)
	}
	if got := selected(t, m, sm.Spec.Selector.MatchLabels); len(got) != 1 || got[0] != "scimd" || sm.Spec.Endpoints[0].Port != "http" {
		t.Errorf("ServiceMonitor selects %v port %v, want scimd port http", got, sm.Spec.Endpoints)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	m := render(t, append(postgres, "--set", "tls.existingSecret=scimd-tls")...)
	d := get[appsv1.Deployment](t, m, "Deployment", "scimd")
	pod := d.Spec.Template.Spec
	c := container(t, pod)
	var volume string
	for _, v := range pod.Volumes {
		if v.Secret != nil && v.Secret.SecretName == "scimd-tls" {
			volume = v.Name
		}
	}
	// cert-manager's Secrets, and those of kubectl create secret tls, hold
	// tls.crt and tls.key.
	for name, file := range map[string]string{"SCIMD_TLS_CERT": "tls.crt", "SCIMD_TLS_KEY": "tls.key"} {
		path := env(c)[name].Value
		if filepath.Base(path) != file || !mounted(c, volume, filepath.Dir(path)) {
			t.Errorf("%s=%q, want %s of the Secret scimd-tls (volume %q, mounts %v)", name, path, file, volume, c.VolumeMounts)
		}
	}
	checkPod(t, m, d.Spec.Template) // the probes' scheme among the rest

	var sm struct {
		Spec struct {
			Endpoints []struct{ Port, Scheme string }
		}
	}
	if err := yaml.Unmarshal(m["ServiceMonitor"]["scimd"], &sm); err != nil {
		t.Fatal(err)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Scheme != "https" {
		t.Errorf("ServiceMonitor endpoints %+v, want https", sm.Spec.Endpoints)
	}
}

func TestRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		set, want string
	}{
		{"database=postgres", "database=postgres needs existingSecret"},
		{"replicas=2", "database=sqlite is served by one replica, not 2"},
		{"database=mysql", "database"},
		{"env.LOG_LEVEL=debug", "LOG_LEVEL"},
		{"admin.port=8080", "admin.port"},
	} {
		t.Run(tc.set, func(t *testing.T) {
			t.Parallel()
			_, err := helm(t, "template", "scimd", "scimd", "--set", tc.set)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("helm template --set %s: %v, want an error saying %q", tc.set, err, tc.want)
			}
		})
	}
}

// checkPod checks what both modes share: the probes, the listeners, the
// Services, and an Ingress that reaches the SCIM listener and never the
// admin one.
func checkPod(t *testing.T, m manifests, tmpl corev1.PodTemplateSpec) {
	t.Helper()
	c := container(t, tmpl.Spec)
	// With a certificate, every listener serves HTTPS only.
	scheme := corev1.URISchemeHTTP
	if _, ok := env(c)["SCIMD_TLS_CERT"]; ok {
		scheme = corev1.URISchemeHTTPS
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"liveness", c.LivenessProbe, "/healthz"},
		{"readiness", c.ReadinessProbe, "/readyz"},
		{"startup", c.StartupProbe, "/healthz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe %+v, want GET %s on port http", p.name, p.probe, p.path)
		} else if p.probe.HTTPGet.Scheme != scheme {
			t.Errorf("%s probe's scheme %q, want %q", p.name, p.probe.HTTPGet.Scheme, scheme)
		}
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	vars := env(c)
	if want := fmt.Sprintf("0.0.0.0:%d", ports["http"]); vars["SCIMD_ADDR"].Value != want {
		t.Errorf("SCIMD_ADDR %q, want %s, the port named http", vars["SCIMD_ADDR"].Value, want)
	}
	admin, hasAdmin := ports["admin"]
	if hasAdmin {
		if want := fmt.Sprintf("0.0.0.0:%d", admin); vars["SCIMD_ADMIN_ADDR"].Value != want {
			t.Errorf("SCIMD_ADMIN_ADDR %q, want %s, the port named admin", vars["SCIMD_ADMIN_ADDR"].Value, want)
		}
		svc := get[corev1.Service](t, m, "Service", "scimd-admin")
		if svc.Spec.Type != corev1.ServiceTypeClusterIP || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "admin" {
			t.Errorf("admin Service %+v, want ClusterIP to port admin", svc.Spec)
		}
	}
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container security context %+v, want a read-only root and no privilege escalation", sc)
	}
	if sc := tmpl.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("pod security context %+v, want runAsNonRoot", sc)
	}

	// Every Service selects these pods and targets a port they have.
	for name := range m["Service"] {
		svc := get[corev1.Service](t, m, "Service", name)
		for k, v := range svc.Spec.Selector {
			if tmpl.Labels[k] != v {
				t.Errorf("Service %s selects %s=%s, which the pods do not have", name, k, v)
			}
		}
		for _, p := range svc.Spec.Ports {
			if _, ok := ports[p.TargetPort.String()]; !ok {
				t.Errorf("Service %s targets port %s, which the container does not have", name, p.TargetPort.String())
			}
		}
	}

	var backends int
	for name := range m["Ingress"] {
		ing := get[networkingv1.Ingress](t, m, "Ingress", name)
		for _, rule := range ing.Spec.Rules {
			for _, p := range rule.HTTP.Paths {
				backends++
				b := p.Backend.Service
				if b == nil || b.Name != "scimd" {
					t.Errorf("Ingress routes %s to %+v, want the Service scimd", p.Path, p.Backend)
					continue
				}
				svc := get[corev1.Service](t, m, "Service", b.Name)
				for _, sp := range svc.Spec.Ports {
					if sp.Name == b.Port.Name && sp.TargetPort.String() != "http" {
						t.Errorf("Ingress reaches container port %s, want http", sp.TargetPort.String())
					}
				}
			}
		}
	}
	if backends == 0 {
		t.Error("the Ingress routes nothing")
	}
}

func container(t *testing.T, pod corev1.PodSpec) corev1.Container {
	t.Helper()
	if len(pod.Containers) != 1 || pod.Containers[0].Name != "scimd" {
		t.Fatalf("containers %v, want scimd alone", pod.Containers)
	}
	return pod.Containers[0]
}

func env(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

func mounted(c corev1.Container, volume, path string) bool {
	for _, vm := range c.VolumeMounts {
		if vm.Name == volume && vm.MountPath == path {
			return true
		}
	}
	return false
}

// selected is the names of the Services whose labels match.
func selected(t *testing.T, m manifests, match map[string]string) []string {
	t.Helper()
	var names []string
	for name := range m["Service"] {
		svc := get[corev1.Service](t, m, "Service", name)
		labels := maps.Clone(svc.Labels)
		maps.Copy(labels, match)
		if maps.Equal(labels, svc.Labels) {
			names = append(names, name)
		}
	}
	return names
}
