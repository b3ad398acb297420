#!/bin/bash
# Streaming web tier bootstrap (Amazon Linux 2023). Rendered by components/app.py: @@PLACEHOLDERS@@ are
# replaced at deploy time. No secrets here: user data is readable by anyone with ec2:DescribeInstanceAttribute.
set -euo pipefail

dnf install -y nginx amazon-cloudwatch-agent

# Serve on 8080 only (the ALB's target port); nothing listens on 22 and no SSH key is installed.
cat >/etc/nginx/conf.d/streaming.conf <<'NGINX'
server {
    listen 8080 default_server;
    server_tokens off;
    location = /healthz { access_log off; return 200 "ok\n"; }
    location /stream/ { root /srv/streaming; try_files $uri =404; }
    location /watch/  { root /srv/streaming; try_files $uri /watch/index.html; }
}
NGINX
sed -i 's/listen       80;/listen 127.0.0.1:8081;/; s/listen       \[::\]:80;//' /etc/nginx/nginx.conf

mkdir -p /srv/streaming/watch /srv/streaming/stream
cat >/etc/streaming.env <<ENV
STREAMING_ENVIRONMENT=@@ENVIRONMENT@@
RENDITIONS_BUCKET=@@RENDITIONS_BUCKET@@
AWS_REGION=@@REGION@@
ENV

systemctl enable --now nginx amazon-cloudwatch-agent
