{{/*
Chart name, truncated to the 63 characters of a DNS label.
*/}}
{{- define "vigie.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's resources: RELEASE-vigie, or RELEASE alone when it already contains
the chart name.
*/}}
{{- define "vigie.fullname" -}}
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

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "vigie.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Standard labels of every resource.
*/}}
{{- define "vigie.labels" -}}
helm.sh/chart: {{ include "vigie.chart" . }}
{{ include "vigie.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vigie
{{- end }}

{{/*
Selector labels: stable across upgrades (a Deployment's selector is immutable).
*/}}
{{- define "vigie.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vigie.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{/*
Name of the ServiceAccount the pods run as.
*/}}
{{- define "vigie.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vigie.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: repository@digest, or repository:tag (tag defaults to appVersion).
*/}}
{{- define "vigie.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/*
"true" when Vigie uses its embedded SQLite database (no PostgreSQL URL configured), "" otherwise.
*/}}
{{- define "vigie.sqlite" -}}
{{- if not (or .Values.database.url .Values.database.existingSecret) }}true{{ end }}
{{- end }}

{{/*
Secret and key holding the database URL (PostgreSQL only).
*/}}
{{- define "vigie.databaseSecretName" -}}
{{- if .Values.database.existingSecret }}
{{- .Values.database.existingSecret }}
{{- else }}
{{- printf "%s-database" (include "vigie.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
"true" when uploads are kept in a folder (the data volume's `files`, or another path) rather than
an S3 bucket: such a folder is one pod's, "" otherwise.
*/}}
{{- define "vigie.localMedia" -}}
{{- if not (hasPrefix "s3://" (.Values.media.store | default "")) }}true{{ end }}
{{- end }}

{{/*
Secret holding the S3 credentials; empty when media are not on S3.
*/}}
{{- define "vigie.s3SecretName" -}}
{{- if .Values.media.s3.existingSecret }}
{{- .Values.media.s3.existingSecret }}
{{- else if .Values.media.s3.accessKeyId }}
{{- printf "%s-s3" (include "vigie.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "vigie.s3AccessKeyIdKey" -}}
{{- if .Values.media.s3.existingSecret }}
{{- required "media.s3.existingSecretAccessKeyIdKey must name the key of the access key id in media.s3.existingSecret" .Values.media.s3.existingSecretAccessKeyIdKey }}
{{- else -}}
access-key-id
{{- end }}
{{- end }}

{{- define "vigie.s3SecretAccessKeyKey" -}}
{{- if .Values.media.s3.existingSecret }}
{{- required "media.s3.existingSecretSecretAccessKeyKey must name the key of the secret key in media.s3.existingSecret" .Values.media.s3.existingSecretSecretAccessKeyKey }}
{{- else -}}
secret-access-key
{{- end }}
{{- end }}

{{/*
Most pods the release may run: autoscaling.maxReplicas, or replicaCount.
*/}}
{{- define "vigie.maxPods" -}}
{{- if .Values.autoscaling.enabled }}{{ int64 .Values.autoscaling.maxReplicas }}{{ else }}{{ int64 .Values.replicaCount }}{{ end }}
{{- end }}

{{/*
Fewest pods the release runs: autoscaling.minReplicas, or replicaCount.
*/}}
{{- define "vigie.minPods" -}}
{{- if .Values.autoscaling.enabled }}{{ int64 .Values.autoscaling.minReplicas }}{{ else }}{{ int64 .Values.replicaCount }}{{ end }}
{{- end }}

{{/*
Secret and key holding the SMTP URL; empty when e-mails go to the outbox folder.
*/}}
{{- define "vigie.mailSecretName" -}}
{{- if .Values.mail.existingSecret }}
{{- .Values.mail.existingSecret }}
{{- else if .Values.mail.smtpUrl }}
{{- printf "%s-mail" (include "vigie.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Secret and key holding the inbound webhook's shared secret; empty when the webhook is closed.
*/}}
{{- define "vigie.inboundSecretName" -}}
{{- if .Values.mail.inboundExistingSecret }}
{{- .Values.mail.inboundExistingSecret }}
{{- else if .Values.mail.inboundSecret }}
{{- printf "%s-inbound" (include "vigie.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "vigie.inboundSecretKey" -}}
{{- if .Values.mail.inboundExistingSecret }}
{{- required "mail.inboundExistingSecretKey must name the key of the secret in mail.inboundExistingSecret" .Values.mail.inboundExistingSecretKey }}
{{- else -}}
inbound-secret
{{- end }}
{{- end }}

{{- define "vigie.mailSecretKey" -}}
{{- if .Values.mail.existingSecret }}
{{- required "mail.existingSecretKey must name the key of the SMTP URL in mail.existingSecret" .Values.mail.existingSecretKey }}
{{- else -}}
smtp-url
{{- end }}
{{- end }}

{{- define "vigie.databaseSecretKey" -}}
{{- if .Values.database.existingSecret }}
{{- required "database.existingSecretKey must name the key of the database URL in database.existingSecret" .Values.database.existingSecretKey }}
{{- else -}}
database-url
{{- end }}
{{- end }}

{{/*
The public URL: publicUrl, else derived from the first ingress host, else empty (Vigie's default).
*/}}
{{- define "vigie.publicUrl" -}}
{{- if .Values.publicUrl }}
{{- .Values.publicUrl | trimSuffix "/" }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- $host := (first .Values.ingress.hosts).host }}
{{- if $host }}
{{- $scheme := "http" }}
{{- range .Values.ingress.tls }}
{{- if has $host (.hosts | default list) }}
{{- $scheme = "https" }}
{{- end }}
{{- end }}
{{- printf "%s://%s" $scheme $host }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Name of the PVC holding the data folder.
*/}}
{{- define "vigie.claimName" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-data" (include "vigie.fullname" .) | trunc 63 | trimSuffix "-") }}
{{- end }}

{{/*
Deployment strategy: .Values.strategy, else Recreate when the data folder is a ReadWriteOnce
volume or the database is SQLite, else RollingUpdate.
*/}}
{{- define "vigie.strategy" -}}
{{- if .Values.strategy }}
{{- toYaml .Values.strategy }}
{{- else }}
{{- $rwo := false }}
{{- if and .Values.persistence.enabled (not .Values.persistence.existingClaim) }}
{{- range .Values.persistence.accessModes }}
{{- if hasPrefix "ReadWriteOnce" . }}{{ $rwo = true }}{{ end }}
{{- end }}
{{- end }}
{{- if and .Values.persistence.enabled .Values.persistence.existingClaim }}
{{- /* The claim's access modes are unknown: assume the safe case. */}}
{{- $rwo = true }}
{{- end }}
{{- if or $rwo (include "vigie.sqlite" .) }}
type: Recreate
{{- else }}
type: RollingUpdate
rollingUpdate:
  maxSurge: 25%
  maxUnavailable: 0
{{- end }}
{{- end }}
{{- end }}

{{/*
Checks the values; fails rendering with a message saying what to change.
*/}}
{{- define "vigie.validate" -}}
{{- $replicas := int64 .Values.replicaCount }}
{{- if lt $replicas 0 }}
{{- fail (printf "replicaCount must be 0 or more, not %v" .Values.replicaCount) }}
{{- end }}
{{- $pods := int64 (include "vigie.maxPods" .) }}
{{- $what := ternary (printf "autoscaling.maxReplicas is %d" $pods) (printf "replicaCount is %d" $replicas) (.Values.autoscaling.enabled | default false) }}
{{- if and (include "vigie.sqlite" .) (gt $pods 1) }}
{{- fail (printf "%s but Vigie uses its embedded SQLite database (neither database.url nor database.existingSecret is set): SQLite allows a single pod, so set replicaCount to 1, or use PostgreSQL (database.url or database.existingSecret) and media on S3 (media.store) to run more than one" $what) }}
{{- end }}
{{- if and (include "vigie.localMedia" .) (gt $pods 1) }}
{{- fail (printf "%s but uploaded documents and photos are kept in a folder (media.store is %q), which each pod has its own of: set media.store to an S3 bucket (s3://BUCKET?endpoint=https://s3.example.org&region=REGION, credentials in media.s3) to run more than one pod, or set replicaCount to 1" $what (.Values.media.store | default "empty: the data volume's files folder")) }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- if lt (int64 .Values.autoscaling.minReplicas) 1 }}
{{- fail "autoscaling.minReplicas must be 1 or more" }}
{{- end }}
{{- if lt (int64 .Values.autoscaling.maxReplicas) (int64 .Values.autoscaling.minReplicas) }}
{{- fail "autoscaling.maxReplicas must not be below autoscaling.minReplicas" }}
{{- end }}
{{- end }}
{{- with .Values.media.store }}
{{- if and (not (hasPrefix "s3://" .)) (regexMatch "^[a-z0-9+.-]+://" .) (not (hasPrefix "file:///" .)) }}
{{- fail (printf "media.store must be an s3:// URL (s3://BUCKET?endpoint=URL&region=REGION), a file:/// URL or a path, not %q" .) }}
{{- end }}
{{- if regexMatch "^s3://[^/?]*@" . }}
{{- fail "media.store must not carry credentials: set media.s3.existingSecret (or media.s3.accessKeyId and media.s3.secretAccessKey) instead" }}
{{- end }}
{{- end }}
{{- $s3 := .Values.media.s3 }}
{{- if and $s3.existingSecret (or $s3.accessKeyId $s3.secretAccessKey) }}
{{- fail "set either media.s3.existingSecret or media.s3.accessKeyId and media.s3.secretAccessKey, not both" }}
{{- end }}
{{- if ne (empty $s3.accessKeyId) (empty $s3.secretAccessKey) }}
{{- fail "set both media.s3.accessKeyId and media.s3.secretAccessKey (or media.s3.existingSecret)" }}
{{- end }}
{{- if include "vigie.localMedia" . }}
{{- if or $s3.existingSecret $s3.accessKeyId }}
{{- fail "media.s3 credentials are set but media.store is not an s3:// URL: set media.store to the bucket" }}
{{- end }}
{{- else if not (or $s3.existingSecret $s3.accessKeyId) }}
{{- fail "media.store is an S3 bucket but no credentials are given (Vigie does not use instance-profile or web-identity credentials): set media.s3.existingSecret, or media.s3.accessKeyId and media.s3.secretAccessKey" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.enabled (the metrics port it scrapes)" }}
{{- end }}
{{- if and .Values.metrics.enabled (eq (int64 .Values.metrics.port) 8080) }}
{{- fail "metrics.port must differ from the HTTP port 8080: metrics stay off the public port" }}
{{- end }}
{{- if .Values.podDisruptionBudget.enabled }}
{{- $pdb := .Values.podDisruptionBudget }}
{{- $min := int64 (include "vigie.minPods" .) }}
{{- if ne (toString $pdb.maxUnavailable) "" }}
{{- if eq (toString $pdb.maxUnavailable) "0" }}
{{- fail "podDisruptionBudget.maxUnavailable is 0: no pod could ever be evicted and node drains would hang" }}
{{- end }}
{{- else if eq (toString $pdb.minAvailable) "" }}
{{- fail "podDisruptionBudget: set minAvailable or maxUnavailable" }}
{{- else if and (not (contains "%" (toString $pdb.minAvailable))) (ge (int64 $pdb.minAvailable) $min) }}
{{- fail (printf "podDisruptionBudget.minAvailable is %d but the release runs %d pod(s): no pod could ever be evicted and node drains would hang. Run more pods, lower minAvailable, or leave the PodDisruptionBudget off (podDisruptionBudget.enabled=false)" (int64 $pdb.minAvailable) $min) }}
{{- end }}
{{- end }}
{{- if and .Values.database.url .Values.database.existingSecret }}
{{- fail "set either database.url or database.existingSecret, not both" }}
{{- end }}
{{- with .Values.database.url }}
{{- if not (or (hasPrefix "postgres://" .) (hasPrefix "postgresql://" .)) }}
{{- fail "database.url must be a PostgreSQL URL (postgres://USER:PASSWORD@HOST:5432/DB); leave it empty for the embedded SQLite database" }}
{{- end }}
{{- end }}
{{- if and .Values.mail.smtpUrl .Values.mail.existingSecret }}
{{- fail "set either mail.smtpUrl or mail.existingSecret, not both" }}
{{- end }}
{{- with .Values.mail.smtpUrl }}
{{- if not (or (hasPrefix "smtp://" .) (hasPrefix "smtps://" .)) }}
{{- fail "mail.smtpUrl must be an SMTP URL (smtp://USER:PASSWORD@HOST:587?tls=starttls or smtps://USER:PASSWORD@HOST:465); leave it empty for the outbox folder" }}
{{- end }}
{{- end }}
{{- $config := .Values.config | default dict }}
{{- if not (kindIs "map" $config) }}
{{- fail "config must be a map of TOML sections, e.g. config: {mail: {from: \"Vigie <no-reply@example.org>\"}}" }}
{{- end }}
{{- $owned := dict "server" (list "bind" "public_url") "storage" (list "data_dir") "database" (list "url") "mail" (list "smtp_url" "inbound_secret") "media" (list "store" "s3_access_key_id" "s3_secret_access_key") "metrics" (list "bind") }}
{{- $hint := dict "server.bind" "the chart binds 0.0.0.0:8080" "server.public_url" "set publicUrl instead" "storage.data_dir" "set persistence.mountPath instead" "database.url" "a database URL is a secret and must not go into a ConfigMap: set database.url (stored in a Secret) or database.existingSecret instead" "mail.smtp_url" "an SMTP URL carries a password and must not go into a ConfigMap: set mail.smtpUrl (stored in a Secret) or mail.existingSecret instead" "mail.inbound_secret" "the webhook's secret must not go into a ConfigMap: set mail.inboundSecret (stored in a Secret) or mail.inboundExistingSecret instead" "media.store" "set media.store instead" "media.s3_access_key_id" "S3 credentials must not go into a ConfigMap: set media.s3.existingSecret (or media.s3.accessKeyId and media.s3.secretAccessKey, stored in a Secret) instead" "media.s3_secret_access_key" "S3 credentials must not go into a ConfigMap: set media.s3.existingSecret (or media.s3.accessKeyId and media.s3.secretAccessKey, stored in a Secret) instead" "metrics.bind" "set metrics.enabled and metrics.port instead" }}
{{- range $section, $keys := $owned }}
{{- $table := get $config $section }}
{{- if kindIs "map" $table }}
{{- range $keys }}
{{- if hasKey $table . }}
{{- fail (printf "config.%s.%s is set by the chart: %s" $section . (get $hint (printf "%s.%s" $section .))) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (has "ReadWriteOncePod" .Values.persistence.accessModes) (gt $replicas 1) .Values.persistence.enabled (not .Values.persistence.existingClaim) }}
{{- fail "persistence.accessModes has ReadWriteOncePod, which one pod only can mount: set replicaCount to 1 or use ReadWriteMany" }}
{{- end }}
{{- end }}

{{/*
One TOML value: string, boolean, integer (Helm reads YAML numbers as floats: whole ones are
written as integers), float, or array of those.
*/}}
{{- define "vigie.tomlValue" -}}
{{- $v := .value }}
{{- if kindIs "string" $v }}
{{- toRawJson $v }}
{{- else if kindIs "bool" $v }}
{{- $v }}
{{- else if or (kindIs "float64" $v) (kindIs "float32" $v) }}
{{- if eq (float64 (int64 $v)) (float64 $v) }}{{ int64 $v }}{{ else }}{{ $v }}{{ end }}
{{- else if or (kindIs "int" $v) (kindIs "int64" $v) (kindIs "int32" $v) (kindIs "uint64" $v) }}
{{- $v }}
{{- else if kindIs "slice" $v }}
{{- $path := .path }}
{{- $items := list }}
{{- range $v }}
{{- $items = append $items (include "vigie.tomlValue" (dict "value" . "path" $path)) }}
{{- end }}
{{- printf "[%s]" (join ", " $items) }}
{{- else }}
{{- fail (printf "config.%s: %s is not a TOML value this chart can write (string, number, boolean or list)" .path (kindOf $v)) }}
{{- end }}
{{- end }}

{{/*
The config file: the chart-owned settings, then every section of .Values.config.
*/}}
{{- define "vigie.configToml" -}}
{{- $config := deepCopy (.Values.config | default dict) }}
{{- $server := get $config "server" | default dict }}
{{- $_ := set $server "bind" "0.0.0.0:8080" }}
{{- with include "vigie.publicUrl" . }}
{{- $_ := set $server "public_url" . }}
{{- end }}
{{- $_ := set $config "server" $server }}
{{- $storage := get $config "storage" | default dict }}
{{- $_ := set $storage "data_dir" .Values.persistence.mountPath }}
{{- $_ := set $config "storage" $storage }}
{{- with .Values.media.store }}
{{- $media := get $config "media" | default dict }}
{{- $_ := set $media "store" . }}
{{- $_ := set $config "media" $media }}
{{- end }}
# Vigie settings rendered by the Helm chart {{ include "vigie.chart" . }}. Every key is
# documented in vigie.sample.toml. The database URL is not here: it comes from a Secret as
# VIGIE_DATABASE_URL (PostgreSQL), or defaults to the SQLite file vigie.db in storage.data_dir.
{{- range $section, $table := $config }}
{{- if not (kindIs "map" $table) }}
{{- fail (printf "config.%s must be a map of settings (a TOML section), not %s" $section (kindOf $table)) }}
{{- end }}
{{- if not (regexMatch "^[A-Za-z0-9_-]+$" $section) }}
{{- fail (printf "config.%s: section names are letters, digits, _ and -" $section) }}
{{- end }}
{{- if $table }}

[{{ $section }}]
{{- range $key, $value := $table }}
{{- if not (regexMatch "^[A-Za-z0-9_-]+$" $key) }}
{{- fail (printf "config.%s.%s: setting names are letters, digits, _ and -" $section $key) }}
{{- end }}
{{ $key }} = {{ include "vigie.tomlValue" (dict "value" $value "path" (printf "%s.%s" $section $key)) }}
{{- end }}
{{- end }}
{{- end }}
{{ end }}

{{/*
Environment of the server and migration containers. VIGIE_CONFIG also serves
`kubectl exec … -- vigie …` administration commands.
*/}}
{{- define "vigie.env" -}}
- name: VIGIE_CONFIG
  value: /etc/vigie/vigie.toml
# The image sets VIGIE_DATA_DIR (a short form, above the config file): name the volume here too.
- name: VIGIE_DATA_DIR
  value: {{ .Values.persistence.mountPath | quote }}
{{- if not (include "vigie.sqlite" .) }}
- name: VIGIE_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "vigie.databaseSecretName" . }}
      key: {{ include "vigie.databaseSecretKey" . }}
{{- end }}
{{- with include "vigie.mailSecretName" . }}
- name: VIGIE__MAIL__SMTP_URL
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ include "vigie.mailSecretKey" $ }}
{{- end }}
{{- with include "vigie.inboundSecretName" . }}
- name: VIGIE__MAIL__INBOUND_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ include "vigie.inboundSecretKey" $ }}
{{- end }}
{{- with include "vigie.s3SecretName" . }}
- name: VIGIE__MEDIA__S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ include "vigie.s3AccessKeyIdKey" $ }}
- name: VIGIE__MEDIA__S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ include "vigie.s3SecretAccessKeyKey" $ }}
{{- end }}
{{- if .Values.metrics.enabled }}
- name: VIGIE__METRICS__BIND
  value: {{ printf "0.0.0.0:%d" (int64 .Values.metrics.port) | quote }}
{{- end }}
{{- end }}

{{/*
Volume mounts of the server and migration containers.
*/}}
{{- define "vigie.volumeMounts" -}}
- name: config
  mountPath: /etc/vigie
  readOnly: true
- name: data
  mountPath: {{ .Values.persistence.mountPath }}
- name: tmp
  mountPath: /tmp
{{- end }}
