{{/* Chart name, shortened to the 63 characters Kubernetes allows in a label. */}}
{{- define "package-broker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name. */}}
{{- define "package-broker.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "package-broker.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "package-broker.labels" -}}
helm.sh/chart: {{ include "package-broker.chart" . }}
{{ include "package-broker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "package-broker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "package-broker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "package-broker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "package-broker.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the PB_* secrets: the one given, or the chart's own. */}}
{{- define "package-broker.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- include "package-broker.fullname" . }}
{{- end }}
{{- end }}

{{- define "package-broker.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* More than one pod may run at once. */}}
{{- define "package-broker.scaledOut" -}}
{{- if or (gt (int .Values.replicaCount) 1) .Values.autoscaling.enabled }}true{{ end }}
{{- end }}

{{/*
Refuses settings that cannot work: several pods on SQLite or on local dists, a chart-made Secret
without the keys every pod must share.
*/}}
{{- define "package-broker.validate" -}}
{{- if not .Values.baseUrl }}
{{- fail "set baseUrl (PB_BASE_URL): the public URL Composer clients use" }}
{{- end }}
{{- if include "package-broker.scaledOut" . }}
{{- if and .Values.secrets.create (not .Values.secrets.existingSecret) (not (hasPrefix "postgres" .Values.secrets.databaseUrl)) }}
{{- fail "several replicas need PostgreSQL: set secrets.databaseUrl to a postgres:// URL (or use secrets.existingSecret)" }}
{{- end }}
{{- if not (hasPrefix "s3://" .Values.blobs.url) }}
{{- fail "several replicas need shared dists: set blobs.url to s3://bucket/prefix" }}
{{- end }}
{{- if .Values.persistence.enabled }}
{{- fail "persistence is for a single replica: several replicas keep no state in the data folder" }}
{{- end }}
{{- if and .Values.secrets.create (not .Values.secrets.existingSecret) (or (not .Values.secrets.secretKey) (not .Values.secrets.auditSigningKey)) }}
{{- fail "several replicas need the same keys: set secrets.secretKey and secrets.auditSigningKey" }}
{{- end }}
{{- end }}
{{- if and (not .Values.secrets.create) (not .Values.secrets.existingSecret) }}
{{- fail "set secrets.existingSecret, or secrets.create: true" }}
{{- end }}
{{- end }}

{{/* Environment of the server and of the migrate init container (database URL aside). */}}
{{- define "package-broker.env" -}}
- name: PB_HOST
  value: "0.0.0.0"
- name: PB_PORT
  value: "8080"
- name: PB_DATA_DIR
  value: /data
- name: TMPDIR
  value: /tmp
- name: PB_BASE_URL
  value: {{ .Values.baseUrl | quote }}
{{- with .Values.blobs.url }}
- name: PB_BLOB_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.blobs.s3Endpoint }}
- name: PB_S3_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- with .Values.blobs.s3Region }}
- name: PB_S3_REGION
  value: {{ . | quote }}
{{- end }}
{{- if .Values.blobs.s3ForcePathStyle }}
- name: PB_S3_FORCE_PATH_STYLE
  value: "true"
{{- end }}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- $secret := include "package-broker.secretName" . }}
{{- range $key := list "PB_S3_ACCESS_KEY_ID" "PB_S3_SECRET_ACCESS_KEY" "PB_REDIS_URL" "PB_SECRET_KEY" "PB_AUDIT_SIGNING_KEY" "PB_METRICS_TOKEN" }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
      optional: true
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
