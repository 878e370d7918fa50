#!/bin/sh
# certbot --manual-auth-hook / --manual-cleanup-hook: $1 is add or remove.
exec "$BENCH_PYTHON" "$BENCH_DIR/route53_txt.py" "$1" "_acme-challenge.$CERTBOT_DOMAIN" "$CERTBOT_VALIDATION"
