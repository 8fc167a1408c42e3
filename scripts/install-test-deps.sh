#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (root): the npm packages, and the
# real peers tests run against — Postfix + Dovecot (email), Java (AWS's DynamoDB Local),
# RabbitMQ (queue), blackbox_exporter (bench baseline), Chromium (browser checks,
# status page tests). Idempotent: skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
fi

need=()
command -v postfix >/dev/null 2>&1 || need+=(postfix)
command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] || need+=(rabbitmq-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v prometheus-blackbox-exporter >/dev/null 2>&1 || need+=(prometheus-blackbox-exporter)
# Debian's Chromium, driven by playwright-core (never `npx playwright install`: it downloads a browser).
command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-dejavu-core)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${need[*]} — run this script as root, or install them with apt-get" >&2
    exit 1
  fi
  echo "==> apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string localhost" | debconf-set-selections
  apt-get update -qq
  # policy-rc.d keeps apt from trying to start services (there is no init system here).
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/tmp/watchpost-apt.log 2>&1 \
    || { tail -40 /tmp/watchpost-apt.log >&2; exit 1; }
  rm -f /usr/sbin/policy-rc.d
fi
