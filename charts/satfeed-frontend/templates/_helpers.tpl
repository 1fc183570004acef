{{/*
satfeed-frontend.fullname: the release's name for its objects, at most 63 characters.
Takes the root context.
*/}}
{{- define "satfeed-frontend.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
satfeed-frontend.labels: the app.kubernetes.io labels of every object. Takes the root context.
*/}}
{{- define "satfeed-frontend.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "satfeed-frontend.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: satfeed
{{- end -}}

{{/*
satfeed-frontend.selectorLabels: the labels the Deployment and Service select on.
Takes the root context.
*/}}
{{- define "satfeed-frontend.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: frontend
{{- end -}}

{{/*
satfeed-frontend.serviceAccountName: the ServiceAccount the pods run as. Takes the root context.
*/}}
{{- define "satfeed-frontend.serviceAccountName" -}}
{{- default (include "satfeed-frontend.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/*
satfeed-frontend.namespaces: the namespaces whose KafkaTopics are watched, as a list
(empty when all are). Takes the root context.
*/}}
{{- define "satfeed-frontend.namespaces" -}}
{{- if .Values.discovery.allNamespaces -}}
[]
{{- else -}}
{{- toJson (default (list .Release.Namespace) .Values.discovery.namespaces) -}}
{{- end -}}
{{- end -}}

{{/*
satfeed-frontend.validate: every problem with the values, reported at once by one `fail`.
Takes the root context.
*/}}
{{- define "satfeed-frontend.validate" -}}
{{- $problems := list -}}
{{- if and .Values.discovery.allNamespaces .Values.discovery.namespaces -}}
{{- $problems = append $problems "discovery.allNamespaces and discovery.namespaces exclude each other: set one" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) -}}
{{- $problems = append $problems "ingress.host is required when ingress.enabled is true" -}}
{{- end -}}
{{- if $problems -}}
{{- fail (printf "\n\nsatfeed-frontend values:\n  - %s\n" (join "\n  - " $problems)) -}}
{{- end -}}
{{- end -}}

{{/*
satfeed-frontend.bootstrapServers: the Kafka bootstrap address, by default the cluster's
bootstrap Service in the release namespace as deploy/ runs it (fully qualified, so pods in
other namespaces reach it too): its `tls` listener (9093, SCRAM-SHA-512) with SASL_SSL, its
`plain` one (9092) with PLAINTEXT. Takes the root context.
*/}}
{{- define "satfeed-frontend.bootstrapServers" -}}
{{- $port := ternary 9093 9092 (include "satfeed-frontend.authenticates" . | eq "true") -}}
{{- .Values.kafka.bootstrapServers | default (printf "%s-kafka-bootstrap.%s.svc:%d" .Values.kafka.clusterName .Release.Namespace $port) -}}
{{- end -}}

{{/*
satfeed-frontend.authenticates: "true" when the frontend connects as its KafkaUser
(kafka.securityProtocol SASL_SSL). Takes the root context.
*/}}
{{- define "satfeed-frontend.authenticates" -}}
{{- eq .Values.kafka.securityProtocol "SASL_SSL" -}}
{{- end -}}

{{/*
satfeed-frontend.reader: read-only access for the frontend's ServiceAccount: a Role and a
RoleBinding in each watched namespace, or one ClusterRole and ClusterRoleBinding with
discovery.allNamespaces. Takes a dict: "root" (the root context), "name" (appended to the
release's full name) and "rules" (from files/rbac-rules.yaml).
*/}}
{{- define "satfeed-frontend.reader" -}}
{{- $root := .root -}}
{{- $name := printf "%s-%s" (include "satfeed-frontend.fullname" $root) .name -}}
{{- $rules := .rules -}}
{{- if $root.Values.discovery.allNamespaces }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ $name }}
  labels:
    {{- include "satfeed-frontend.labels" $root | nindent 4 }}
rules:
  {{- toYaml $rules | nindent 2 }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ $name }}
  labels:
    {{- include "satfeed-frontend.labels" $root | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ $name }}
subjects:
  - kind: ServiceAccount
    name: {{ include "satfeed-frontend.serviceAccountName" $root }}
    namespace: {{ $root.Release.Namespace }}
{{- else }}
{{- range $namespace := include "satfeed-frontend.namespaces" $root | fromJsonArray }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ $name }}
  namespace: {{ $namespace }}
  labels:
    {{- include "satfeed-frontend.labels" $root | nindent 4 }}
rules:
  {{- toYaml $rules | nindent 2 }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ $name }}
  namespace: {{ $namespace }}
  labels:
    {{- include "satfeed-frontend.labels" $root | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ $name }}
subjects:
  - kind: ServiceAccount
    name: {{ include "satfeed-frontend.serviceAccountName" $root }}
    namespace: {{ $root.Release.Namespace }}
{{- end }}
{{- end }}
{{- end -}}
