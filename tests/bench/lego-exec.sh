#!/bin/sh
# lego's exec DNS provider: called as `present|cleanup <fqdn> <value>`.
case "$1" in
  present) exec "$BENCH_PYTHON" "$BENCH_DIR/route53_txt.py" add "$2" "$3" ;;
  cleanup) exec "$BENCH_PYTHON" "$BENCH_DIR/route53_txt.py" remove "$2" "$3" ;;
  *) exit 0 ;;
esac
