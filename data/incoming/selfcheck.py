"""Temporary self-check for corpus writers: python data/incoming/selfcheck.py data/incoming/<slice>.jsonl"""
import itertools, json, re, sys, glob, collections, statistics
AXES = {"adoption","aiaas","cloud","data","energy_efficiency","foundation_models","open_source","telecom"}
KINDS = {"typical","multi","hard","short","noisy","offtopic"}
def words(t): return re.findall(r"\w+", t.lower())
def grams(t, n=5):
    w = words(t); return {tuple(w[i:i+n]) for i in range(max(1, len(w)-n+1))}
target = sys.argv[1]
bad = 0; items = []
for no, line in enumerate(open(target, encoding="utf-8"), 1):
    try: d = json.loads(line)
    except Exception as e: print(f"line {no}: bad JSON {e}"); bad += 1; continue
    errs = []
    if set(d) != {"id","text","lang","labels","kind"}: errs.append(f"fields {sorted(d)}")
    if not isinstance(d.get("labels"), list) or any(l not in AXES for l in d.get("labels", [])): errs.append("unknown label")
    elif d["labels"] != sorted(set(d["labels"])): errs.append("labels not sorted/unique")
    if d.get("kind") not in KINDS: errs.append("bad kind")
    if d.get("kind") == "offtopic" and d.get("labels"): errs.append("offtopic must have no labels")
    if not re.fullmatch(r"[a-z0-9]+-\d{4}", str(d.get("id"))): errs.append("bad id")
    for e in errs: print(f"line {no}: {e}"); bad += 1
    items.append((no, d))
ids = collections.Counter(d["id"] for _, d in items)
for i, c in ids.items():
    if c > 1: print(f"duplicate id {i}"); bad += 1
others = []
for f in glob.glob("data/incoming/*.jsonl"):
    if f.endswith(target.split("/")[-1]): continue
    for line in open(f, encoding="utf-8"):
        try: others.append(json.loads(line))
        except Exception: pass
allitems = [d for _, d in items] + others
first8 = collections.defaultdict(list)
for d in allitems: first8[" ".join(words(d["text"])[:8])].append(d["id"])
for k, v in first8.items():
    if len(v) > 1 and any(x in ids for x in v): print(f"same first 8 words: {v}"); bad += 1
g = {d["id"]: grams(d["text"]) for d in allitems}
mine = [d["id"] for _, d in items]
for a in mine:
    for b in g:
        if a < b or (b not in ids):
            if a == b: continue
            inter = len(g[a] & g[b])
            if inter and inter / len(g[a] | g[b]) >= 0.5: print(f"near-duplicate {a} ~ {b}"); bad += 1
n = len(items)
print(f"{n} items, {bad} problems")
ax = collections.Counter(l for _, d in items for l in d["labels"])
print("per axis:", {a: ax[a] for a in sorted(AXES)}, f"(aim >= {round(0.17*n)} each)")
print("kinds:", dict(collections.Counter(d["kind"] for _, d in items)))
card = collections.Counter(len(d["labels"]) for _, d in items)
print("labels per item:", dict(sorted(card.items())), f"share 2-3: {(card[2]+card[3])/max(n,1):.0%}")
print("langs:", dict(collections.Counter(d["lang"] for _, d in items)))
lens = [len(d["text"].split()) for _, d in items]
if lens: print("words: min", min(lens), "median", statistics.median(lens), "max", max(lens))
