{{/*
The six processes, as docker-compose.yml runs them: port, the Secret keys each reads (env var →
key), the subgraphs it calls (callers open the NetworkPolicy), and whether it is a subgraph.
Calls between subgraphs: orders → products (stock) and payments (before an unpaid order expires),
payments → orders, notifications → users.
*/}}
{{- define "shop.topology" -}}
gateway:
  port: 3000
  portEnv: GATEWAY_PORT
  secretEnv: { AMQP_URL: gateway-amqp-url }
  calls: [users, products, orders, payments, notifications]
users:
  port: 3001
  portEnv: USERS_PORT
  secretEnv: { MONGO_URL: users-mongo-url, AMQP_URL: users-amqp-url }
  optionalSecretEnv: { ADMIN_EMAIL: admin-email, ADMIN_PASSWORD: admin-password }
  calls: []
  ferretdbSingle: true
products:
  port: 3002
  portEnv: PRODUCTS_PORT
  secretEnv: { DATABASE_URL: database-url, AMQP_URL: products-amqp-url }
  # users: token versions of requests the gateway did not sign (revocation).
  calls: [users]
  events: true
orders:
  port: 3003
  portEnv: ORDERS_PORT
  secretEnv: { MONGO_URL: orders-mongo-url, AMQP_URL: orders-amqp-url }
  calls: [products, payments, users]
  events: true
  ferretdbSingle: true
payments:
  port: 3004
  portEnv: PAYMENTS_PORT
  secretEnv: { MONGO_URL: payments-mongo-url, AMQP_URL: payments-amqp-url }
  calls: [orders, users]
  events: true
  ferretdbSingle: true
notifications:
  port: 3005
  portEnv: NOTIFICATIONS_PORT
  secretEnv: { MONGO_URL: notifications-mongo-url, AMQP_URL: notifications-amqp-url, SMTP_URL: smtp-url }
  calls: [users]
  events: true
  ferretdbSingle: true
{{- end -}}

{{- define "shop.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; "shop.componentLabels" adds the component (call with dict "root" . "name" NAME). */}}
{{- define "shop.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: shop
{{- end -}}

{{- define "shop.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "shop.componentLabels" -}}
{{ include "shop.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "shop.image" -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- with .root.Values.image.registry -}}{{ trimSuffix "/" . }}/{{- end -}}shop-{{ .name }}:{{ $tag }}
{{- end -}}

{{- define "shop.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-credentials" (include "shop.fullname" .)) -}}
{{- end -}}

{{- define "shop.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "shop.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* Single replica, no autoscaling, Recreate: a FerretDB-backed process that must not overlap itself. */}}
{{- define "shop.single" -}}
{{- if and .root.Values.mongo.ferretdb .spec.ferretdbSingle -}}true{{- end -}}
{{- end -}}

{{/* Pod and container security: the images run as `node` (uid 1000); nothing writes outside /tmp. */}}
{{- define "shop.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile: { type: RuntimeDefault }
{{- end -}}

{{- define "shop.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities: { drop: [ALL] }
{{- end -}}

{{/*
Every value the chart cannot run without. Called once from the Secret's template (and from the
Deployments' when an existing Secret is named) so that a missing one stops `helm template` with
its name. Secret lengths are checked too: the processes refuse shorter ones at start.
*/}}
{{- define "shop.requireValues" -}}
{{- if not .Values.secrets.existingSecret -}}
{{- $jwt := required "secrets.jwtSecret is required (32+ characters; or name secrets.existingSecret)" .Values.secrets.jwtSecret -}}
{{- /* Comma-separated for rotation (the first signs): each one must be long enough; empty entries are dropped, as the processes drop them. */ -}}
{{- range compact (splitList "," $jwt) -}}
{{- if lt (len (trim .)) 32 -}}{{- fail "secrets.jwtSecret must be at least 32 characters (each, when comma-separated)" -}}{{- end -}}
{{- end -}}
{{- $signing := required "secrets.gatewaySigningSecrets is required (comma-separated, 32+ characters each; or name secrets.existingSecret)" .Values.secrets.gatewaySigningSecrets -}}
{{- range compact (splitList "," $signing) -}}
{{- if lt (len (trim .)) 32 -}}{{- fail "secrets.gatewaySigningSecrets: each secret must be at least 32 characters" -}}{{- end -}}
{{- end -}}
{{- $_ := required "postgres.url is required (postgresql://user:password@host:5432/shop; or name secrets.existingSecret)" .Values.postgres.url -}}
{{- range $service := list "users" "orders" "payments" "notifications" -}}
{{- $_ := required (printf "mongo.urls.%s is required (mongodb://%s:password@hosts/shop_%s?replicaSet=rs0; or name secrets.existingSecret)" $service $service $service) (index $.Values.mongo.urls $service) -}}
{{- end -}}
{{- range $service := list "gateway" "users" "products" "orders" "payments" "notifications" -}}
{{- $_ := required (printf "rabbitmq.urls.%s is required (amqp://%s:password@host:5672; or name secrets.existingSecret)" $service $service) (index $.Values.rabbitmq.urls $service) -}}
{{- end -}}
{{- $_ := required "secrets.smtpUrl is required (smtp:// or smtps:// URL of the mail server; or name secrets.existingSecret)" .Values.secrets.smtpUrl -}}
{{- end -}}
{{- end -}}

{{/* The PostgreSQL server's CA certificate (postgres.caSecret), for products and the migration hook. */}}
{{- define "shop.postgresCaMount" -}}
{{- if .Values.postgres.caSecret }}
- { name: postgres-ca, mountPath: /etc/shop/postgres-ca, readOnly: true }
{{- end }}
{{- end }}

{{- define "shop.postgresCaVolume" -}}
{{- if .Values.postgres.caSecret }}
- name: postgres-ca
  secret:
    secretName: {{ .Values.postgres.caSecret }}
    items: [{ key: {{ .Values.postgres.caKey | quote }}, path: ca.crt }]
{{- end }}
{{- end }}
