#!/usr/bin/env bash
# Deploy (or update) the shop on this server: deploy/deploy.sh [GIT_REF]   (as root)
# The same steps as deploy/README.md, in order: fetch the code, install its packages,
# back up, migrate (the Procfile's `release`), restart web, workers and clock.
set -euo pipefail

APP=/srv/sweetshop/app
REF=${1:-main}
as_shop() { runuser -u sweetshop -- "$@"; }

cd "$APP"
as_shop git fetch --quiet origin
as_shop git checkout --quiet --detach "origin/$REF" 2>/dev/null || as_shop git checkout --quiet --detach "$REF"
as_shop make setup PYTHON=python3
# A backup before any migration: `flask restore` puts it back if the upgrade goes wrong.
systemctl start sweetshop-backup.service         # flask backup, with the service's settings
systemctl start sweetshop-release.service        # flask db upgrade (fails the deploy if it fails)
systemctl restart sweetshop-web.service 'sweetshop-worker@*.service' sweetshop-clock.service
sleep 2
curl -fsS http://127.0.0.1:8000/health && echo
echo "Deployed $(as_shop git rev-parse --short HEAD)"
