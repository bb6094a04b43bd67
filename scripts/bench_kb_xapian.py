#!/usr/bin/python3
"""The Xapian peer of `omni kb eval`, for scripts/bench_kb.sh.

Indexes a BEIR corpus.jsonl (title and text) into an on-disk Xapian database
with the English (Snowball) stemmer and PostgreSQL's english stopwords, then
runs every query of the qrels as an OR query under BM25 (k1 0.9, b 0.4, as
omni's defaults) and prints one JSON object: indexing seconds, nDCG@10,
R@100, MRR@10 and query latency p50/p95 in milliseconds, computed exactly as
omni does (binary gain, log2 discount, every qrels query counted, a query
with no result scoring 0; nearest-rank percentiles).

Usage: bench_kb_xapian.py CORPUS QUERIES QRELS [K1 B]
Needs Debian's python3-xapian (run with /usr/bin/python3).
"""
import json
import math
import shutil
import sys
import tempfile
import time

import xapian

# PostgreSQL 15's tsearch_data/english.stop.
STOPWORDS = """i me my myself we our ours ourselves you your yours yourself yourselves he him his
himself she her hers herself it its itself they them their theirs themselves what which who whom
this that these those am is are was were be been being have has had having do does did doing a an
the and but if or because as until while of at by for with about against between into through
during before after above below to from up down in out on off over under again further then once
here there when where why how all any both each few more most other some such no nor not only own
same so than too very s t can will just don should now""".split()


def percentile(values, p):
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def main():
    corpus_path, queries_path, qrels_path = sys.argv[1:4]
    k1 = float(sys.argv[4]) if len(sys.argv) > 4 else 0.9
    b = float(sys.argv[5]) if len(sys.argv) > 5 else 0.4

    qrels = {}
    with open(qrels_path, encoding="utf-8") as f:
        for number, line in enumerate(f):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 3:
                continue
            try:
                score = float(fields[2])
            except ValueError:
                if number == 0:
                    continue
                raise
            relevant = qrels.setdefault(fields[0], set())
            if score > 0:
                relevant.add(fields[1])
    queries = {}
    with open(queries_path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                queries[str(row["_id"])] = row["text"]

    stemmer = xapian.Stem("english")
    stopper = xapian.SimpleStopper()
    for word in STOPWORDS:
        stopper.add(word)

    directory = tempfile.mkdtemp(prefix="omni-xapian-")
    try:
        started = time.perf_counter()
        database = xapian.WritableDatabase(directory, xapian.DB_CREATE_OR_OVERWRITE)
        generator = xapian.TermGenerator()
        generator.set_stemmer(stemmer)
        generator.set_stopper(stopper)
        generator.set_stemming_strategy(xapian.TermGenerator.STEM_ALL)
        generator.set_stopper_strategy(xapian.TermGenerator.STOP_ALL)
        with open(corpus_path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                row = json.loads(line)
                document = xapian.Document()
                generator.set_document(document)
                generator.index_text(row.get("title") or "")
                generator.increase_termpos()
                generator.index_text(row.get("text") or "")
                document.set_data(str(row["_id"]))
                database.add_document(document)
        database.commit()
        index_seconds = time.perf_counter() - started
        documents = database.get_doccount()
        database.close()

        database = xapian.Database(directory)
        enquire = xapian.Enquire(database)
        enquire.set_weighting_scheme(xapian.BM25Weight(k1, 0, 1, b, 0.5))
        parser = xapian.QueryParser()
        parser.set_stemmer(stemmer)
        parser.set_stopper(stopper)
        parser.set_stemming_strategy(xapian.QueryParser.STEM_ALL)
        parser.set_default_op(xapian.Query.OP_OR)

        ndcg = recall = mrr = 0.0
        latencies = []
        missing = 0
        for query_id, relevant in qrels.items():
            text = queries.get(query_id)
            if text is None:
                missing += 1
                continue
            started = time.perf_counter()
            enquire.set_query(parser.parse_query(text))
            ranked = [match.document.get_data().decode() for match in enquire.get_mset(0, 100)]
            latencies.append((time.perf_counter() - started) * 1000)
            if not relevant:
                continue
            dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked[:10]) if doc in relevant)
            ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
            ndcg += dcg / ideal
            recall += len([doc for doc in ranked[:100] if doc in relevant]) / len(relevant)
            for i, doc in enumerate(ranked[:10]):
                if doc in relevant:
                    mrr += 1 / (i + 1)
                    break
        count = len(qrels)
        print(json.dumps({
            "documents": documents,
            "index_seconds": round(index_seconds, 3),
            "queries": count,
            "queries_missing": missing,
            "ndcg_at_10": round(ndcg / count, 4),
            "recall_at_100": round(recall / count, 4),
            "mrr_at_10": round(mrr / count, 4),
            "latency_p50_ms": round(percentile(latencies, 50), 3),
            "latency_p95_ms": round(percentile(latencies, 95), 3),
        }))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
