#!/usr/bin/env bash
# Retrieval benchmark: omni against Xapian on BEIR SciFact (train qrels).
#
# Runs `omni kb eval` (ingest into a scratch business of a private embedded
# PostgreSQL in a temp dir, durable as by default, then every qrels query
# through the retriever) and scripts/bench_kb_xapian.py (an on-disk Xapian
# index, BM25, English stemmer, OR queries) on the same corpus and queries,
# and prints both side by side with the ratios and the targets:
#   nDCG@10 >= 0.69, R@100 >= 0.90, query p50 <= Xapian's, ingest <= 2x Xapian's.
#   scripts/bench_kb.sh                  data from ../shared/data/scifact
#   scripts/bench_kb.sh DATA_DIR         a BEIR dir (corpus.jsonl, queries.jsonl, qrels/train.tsv)
# Environment: OMNI (an omni binary; default: build/cmd/omni, built if missing),
# QRELS (default DATA_DIR/qrels/train.tsv).
# Exits 0 when every target is met, 1 otherwise.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-"$root/../shared/data/scifact"}
data=$(cd "$data" && pwd)
qrels=${QRELS:-"$data/qrels/train.tsv"}
omni=${OMNI:-"$root/build/cmd/omni"}
if [[ -z "${OMNI:-}" ]]; then
  "$root/scripts/build.sh" omni >/dev/null
fi
for file in "$data/corpus.jsonl" "$data/queries.jsonl" "$qrels"; do
  [[ -f "$file" ]] || { echo "bench_kb: missing $file" >&2; exit 2; }
done
if ! /usr/bin/python3 -c 'import xapian' 2>/dev/null; then
  echo "bench_kb: /usr/bin/python3 cannot import xapian" >&2
  echo "hint: install Debian's python3-xapian (scripts/install-deps.sh --test does)." >&2
  exit 2
fi

work=$(mktemp -d /tmp/omni-bench-kb-XXXXXX)
chmod 755 "$work"
cleanup() {
  "$omni" --config "$work/omni.yaml" db down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
printf 'database:\n  embedded:\n    data_dir: %s/pg\n' "$work" >"$work/omni.yaml"
"$omni" --config "$work/omni.yaml" -q db up >/dev/null

echo "omni kb eval on $(basename "$data") ($(wc -l <"$data/corpus.jsonl") documents, qrels $(basename "$qrels"))..." >&2
"$omni" --config "$work/omni.yaml" -o json kb eval --corpus "$data/corpus.jsonl" \
  --queries "$data/queries.jsonl" --qrels "$qrels" >"$work/omni.json"
echo "xapian peer..." >&2
/usr/bin/python3 "$root/scripts/bench_kb_xapian.py" "$data/corpus.jsonl" "$data/queries.jsonl" "$qrels" \
  >"$work/xapian.json"

/usr/bin/python3 - "$work/omni.json" "$work/xapian.json" <<'PY'
import json, sys
omni = json.load(open(sys.argv[1]))
xap = json.load(open(sys.argv[2]))
rows = [
    ("documents", omni["documents"], xap["documents"], "{:d}"),
    ("queries", omni["queries"], xap["queries"], "{:d}"),
    ("nDCG@10", omni["ndcg_at_10"], xap["ndcg_at_10"], "{:.4f}"),
    ("R@100", omni["recall_at_100"], xap["recall_at_100"], "{:.4f}"),
    ("MRR@10", omni["mrr_at_10"], xap["mrr_at_10"], "{:.4f}"),
    ("ingest / index s", omni["ingest_seconds"], xap["index_seconds"], "{:.3f}"),
    ("query p50 ms", omni["latency_p50_ms"], xap["latency_p50_ms"], "{:.3f}"),
    ("query p95 ms", omni["latency_p95_ms"], xap["latency_p95_ms"], "{:.3f}"),
]
print(f"{'':18} {'omni':>10} {'xapian':>10} {'omni/xapian':>12}")
for name, a, b, fmt in rows:
    ratio = f"{a / b:.2f}" if isinstance(a, float) and b else ""
    print(f"{name:18} {fmt.format(a):>10} {fmt.format(b):>10} {ratio:>12}")
print(f"omni: {omni['chunks']} chunks, index load {omni['index_load_seconds']:.3f} s, "
      f"query mean {omni['latency_mean_ms']:.3f} ms (parity check included)")
targets = [
    ("nDCG@10 >= 0.69", omni["ndcg_at_10"] >= 0.69),
    ("R@100 >= 0.90", omni["recall_at_100"] >= 0.90),
    ("query p50 <= xapian", omni["latency_p50_ms"] <= xap["latency_p50_ms"]),
    ("ingest <= 2x xapian", omni["ingest_seconds"] <= 2 * xap["index_seconds"]),
]
for name, ok in targets:
    print(f"target {name:22} {'met' if ok else 'MISSED'}")
sys.exit(0 if all(ok for _, ok in targets) else 1)
PY
