{{/* The release's full name, within the 63 characters of a DNS label. */}}
{{- define "scimd.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The admin listener's Service: the full name, shortened to leave room for "-admin". */}}
{{- define "scimd.adminName" -}}
{{- printf "%s-admin" (include "scimd.fullname" . | trunc 57 | trimSuffix "-") -}}
{{- end -}}

{{/* The listeners' scheme, for probes and scrapes. */}}
{{- define "scimd.scheme" -}}
{{- ternary "HTTPS" "HTTP" (not (empty .Values.tls.existingSecret)) -}}
{{- end -}}

{{- define "scimd.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "scimd.labels" -}}
{{ include "scimd.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "scimd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "scimd.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/*
The values, checked: what the schema cannot say. Included by every
workload so that a bad combination fails the install with a message.
*/}}
{{- define "scimd.validate" -}}
{{- if and (eq .Values.database "postgres") (not .Values.existingSecret) -}}
{{- fail "database=postgres needs existingSecret: a Secret with the keys database-url and installation-secret, the same for every replica" -}}
{{- end -}}
{{- if and (eq .Values.database "sqlite") (gt (int .Values.replicas) 1) -}}
{{- fail (printf "database=sqlite is served by one replica, not %d: use database=postgres for more" (int .Values.replicas)) -}}
{{- end -}}
{{- end -}}

{{/* The pod, the same for the StatefulSet (SQLite) and the Deployment (PostgreSQL). */}}
{{- define "scimd.podTemplate" -}}
metadata:
  labels:
    {{- include "scimd.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "scimd.serviceAccountName" . }}
  automountServiceAccountToken: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: scimd
      image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: ["serve"]
      env:
        - name: SCIMD_ADDR
          value: "0.0.0.0:8080"
        {{- if .Values.admin.enabled }}
        - name: SCIMD_ADMIN_ADDR
          value: "0.0.0.0:{{ .Values.admin.port }}"
        {{- end }}
        {{- if eq .Values.database "postgres" }}
        - name: SCIMD_DB
          valueFrom:
            secretKeyRef:
              name: {{ .Values.existingSecret }}
              key: {{ .Values.secretKeys.databaseURL }}
        {{- else }}
        - name: SCIMD_DB
          value: "sqlite:/data/scimd.db"
        {{- end }}
        {{- if .Values.existingSecret }}
        - name: SCIMD_SECRET_FILE
          value: /etc/scimd/secret/installation-secret
        {{- end }}
        {{- if .Values.tls.existingSecret }}
        - name: SCIMD_TLS_CERT
          value: /etc/scimd/tls/tls.crt
        - name: SCIMD_TLS_KEY
          value: /etc/scimd/tls/tls.key
        {{- end }}
        {{- with .Values.publicURL }}
        - name: SCIMD_PUBLIC_URL
          value: {{ . | quote }}
        {{- end }}
        {{- range $name, $value := .Values.env }}
        - name: {{ $name }}
          value: {{ $value | toString | quote }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - name: http
          containerPort: 8080
        {{- if .Values.admin.enabled }}
        - name: admin
          containerPort: {{ .Values.admin.port }}
        {{- end }}
      # /healthz answers while the process serves; /readyz also asks the
      # database, so that a replica that lost it leaves the Service. The
      # startup probe leaves time for migrations on a first start.
      startupProbe:
        httpGet:
          path: /healthz
          port: http
          scheme: {{ include "scimd.scheme" . }}
        periodSeconds: 5
        failureThreshold: 60
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
          scheme: {{ include "scimd.scheme" . }}
        periodSeconds: 10
        timeoutSeconds: 5
        failureThreshold: 3
      readinessProbe:
        httpGet:
          path: /readyz
          port: http
          scheme: {{ include "scimd.scheme" . }}
        periodSeconds: 5
        timeoutSeconds: 5
        failureThreshold: 2
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if eq .Values.database "sqlite" }}
        - name: data
          mountPath: /data
        {{- end }}
        {{- if .Values.existingSecret }}
        - name: installation-secret
          mountPath: /etc/scimd/secret
          readOnly: true
        {{- end }}
        {{- if .Values.tls.existingSecret }}
        - name: tls
          mountPath: /etc/scimd/tls
          readOnly: true
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {}
    {{- if .Values.existingSecret }}
    - name: installation-secret
      secret:
        secretName: {{ .Values.existingSecret }}
        defaultMode: 0440
        items:
          - key: {{ .Values.secretKeys.installationSecret }}
            path: installation-secret
    {{- end }}
    {{- if .Values.tls.existingSecret }}
    - name: tls
      secret:
        secretName: {{ .Values.tls.existingSecret }}
        defaultMode: 0440
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
