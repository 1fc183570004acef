{{/*
satfeed-operator.fullname: the release's name for its objects, at most 63 characters.
Takes the root context.
*/}}
{{- define "satfeed-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
satfeed-operator.labels: the app.kubernetes.io labels of every object. Takes the root context.
*/}}
{{- define "satfeed-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "satfeed-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: satfeed
{{- end -}}

{{/*
satfeed-operator.selectorLabels: the labels the Deployment selects on. Takes the root context.
*/}}
{{- define "satfeed-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/*
satfeed-operator.serviceAccountName: the ServiceAccount the operator runs as.
Takes the root context.
*/}}
{{- define "satfeed-operator.serviceAccountName" -}}
{{- default (include "satfeed-operator.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/*
satfeed-operator.namespaces: the namespaces whose Satellites are served, as a JSON list
(empty when all are). Takes the root context.
*/}}
{{- define "satfeed-operator.namespaces" -}}
{{- if .Values.watchAllNamespaces -}}
[]
{{- else -}}
{{- toJson (default (list .Release.Namespace) .Values.watchNamespaces) -}}
{{- end -}}
{{- end -}}

{{/*
satfeed-operator.validate: every problem with the values, reported at once by one `fail`.
Takes the root context.
*/}}
{{- define "satfeed-operator.validate" -}}
{{- $problems := list -}}
{{- if and .Values.watchAllNamespaces .Values.watchNamespaces -}}
{{- $problems = append $problems "watchAllNamespaces and watchNamespaces exclude each other: set one" -}}
{{- end -}}
{{- if hasKey .Values.kafka.extraClusters .Values.kafka.clusterName -}}
{{- $problems = append $problems (printf "kafka.extraClusters repeats the default cluster %q: give its address in kafka.bootstrapServers" .Values.kafka.clusterName) -}}
{{- end -}}
{{- if $problems -}}
{{- fail (printf "\n\nsatfeed-operator values:\n  - %s\n" (join "\n  - " $problems)) -}}
{{- end -}}
{{- end -}}

{{/*
satfeed-operator.bootstrapServers: the Kafka bootstrap address, by default the cluster's
bootstrap Service in the release namespace as deploy/ runs it (fully qualified, so pods in
other namespaces reach it too): its `tls` listener (9093, SCRAM-SHA-512) with SASL_SSL, its
`plain` one (9092) with PLAINTEXT. Takes the root context.
*/}}
{{- define "satfeed-operator.bootstrapServers" -}}
{{- $port := ternary 9093 9092 (include "satfeed-operator.authenticates" . | eq "true") -}}
{{- .Values.kafka.bootstrapServers | default (printf "%s-kafka-bootstrap.%s.svc:%d" .Values.kafka.clusterName .Release.Namespace $port) -}}
{{- end -}}

{{/*
satfeed-operator.authenticates: "true" when the operator connects as its KafkaUser and
gives its producers KafkaUsers (kafka.securityProtocol SASL_SSL). Takes the root context.
*/}}
{{- define "satfeed-operator.authenticates" -}}
{{- eq .Values.kafka.securityProtocol "SASL_SSL" -}}
{{- end -}}

{{/*
satfeed-operator.monitoring: whether to render a Prometheus Operator object of kind
(.kind) configured by (.config: enabled, force): when enabled and the cluster serves the
kind, or when forced (e.g. `helm template` without a cluster). Takes a dict with root.
*/}}
{{- define "satfeed-operator.monitoring" -}}
{{- $has := .root.Capabilities.APIVersions.Has (printf "monitoring.coreos.com/v1/%s" .kind) -}}
{{- if and .config.enabled (or .config.force $has) -}}true{{- end -}}
{{- end -}}

{{/*
satfeed-operator.urlPort: the TCP port a URL connects to: the one it names, else 80 for
http and 443 otherwise (https). Takes the URL.
*/}}
{{- define "satfeed-operator.urlPort" -}}
{{- $url := urlParse . -}}
{{- $host := $url.host -}}
{{- if regexMatch ":[0-9]+$" $host -}}
{{- regexFind "[0-9]+$" $host -}}
{{- else if eq $url.scheme "http" -}}
80
{{- else -}}
443
{{- end -}}
{{- end -}}
