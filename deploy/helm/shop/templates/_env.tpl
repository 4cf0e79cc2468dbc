{{/*
The environment the chart gives a process (deployments.yaml), one entry a line: services.<name>.env
may add to it, never set one of these again (a second entry of one name is what a later upgrade's
merge of the list can drop).
*/}}
{{- define "shop.chartEnv" -}}
- { name: NODE_ENV, value: production }
- { name: LOG_LEVEL, value: {{ $.root.Values.logLevel | quote }} }
- { name: {{ $.spec.portEnv }}, value: {{ $.spec.port | quote }} }
- { name: AMQP_EXCHANGE, value: {{ $.root.Values.rabbitmq.exchange | quote }} }
- { name: AMQP_EXCHANGE_PROVISIONED, value: {{ $.root.Values.rabbitmq.exchangeProvisioned | quote }} }
- name: JWT_SECRET
  valueFrom: { secretKeyRef: { name: {{ include "shop.secretName" $.root }}, key: jwt-secret } }
- name: GATEWAY_SIGNING_SECRETS
  valueFrom: { secretKeyRef: { name: {{ include "shop.secretName" $.root }}, key: gateway-signing-secrets } }
{{- range $env, $key := $.spec.secretEnv }}
- name: {{ $env }}
  valueFrom: { secretKeyRef: { name: {{ include "shop.secretName" $.root }}, key: {{ $key }} } }
{{- end }}
{{- range $env, $key := $.spec.optionalSecretEnv }}
- name: {{ $env }}
  valueFrom: { secretKeyRef: { name: {{ include "shop.secretName" $.root }}, key: {{ $key }}, optional: true } }
{{- end }}
{{- if hasKey $.spec.secretEnv "MONGO_URL" }}
- { name: MONGO_DB_PREFIX, value: {{ $.root.Values.mongo.dbPrefix | quote }} }
{{- end }}
{{- if $.spec.events }}
- { name: EVENTS_MAX_ATTEMPTS, value: {{ $.root.Values.rabbitmq.maxAttempts | quote }} }
- { name: EVENTS_RETRY_BASE_MS, value: {{ $.root.Values.rabbitmq.retryBaseMs | quote }} }
- { name: EVENTS_RETRY_MAX_MS, value: {{ $.root.Values.rabbitmq.retryMaxMs | quote }} }
- { name: EVENTS_OUTAGE_PATIENCE, value: {{ $.root.Values.rabbitmq.outagePatience | quote }} }
{{- end }}
{{- range $called := $.spec.calls }}
- { name: {{ upper $called }}_URL, value: "http://{{ $.fullname }}-{{ $called }}:{{ (index $.topology $called).port }}/graphql" }
{{- end }}
{{- if eq $.name "gateway" }}
- { name: CORS_ORIGINS, value: {{ $.root.Values.corsOrigins | quote }} }
- { name: TRUST_PROXY, value: {{ $.root.Values.trustProxy | quote }} }
- { name: METRICS_PORT, value: "9464" }
{{- end }}
{{- if eq $.name "users" }}
- { name: PASSWORD_RESET_URL, value: {{ required "passwordResetUrl is required (the https:// page of your web app that password reset emails link to)" $.root.Values.passwordResetUrl | quote }} }
- { name: EMAIL_VERIFICATION_URL, value: {{ required "emailVerificationUrl is required (the https:// page of your web app that address confirmation emails link to)" $.root.Values.emailVerificationUrl | quote }} }
{{- end }}
{{- if eq $.name "notifications" }}
- { name: MAIL_FROM, value: {{ required "mailFrom is required (the sender of every email, an address of your domain)" $.root.Values.mailFrom | quote }} }
{{- end }}
{{- range $env, $value := $.root.Values.otel }}
- { name: {{ $env }}, value: {{ $value | quote }} }
{{- end }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom: { secretKeyRef: { name: {{ include "shop.secretName" $.root }}, key: otel-exporter-otlp-headers, optional: true } }
{{- end }}
