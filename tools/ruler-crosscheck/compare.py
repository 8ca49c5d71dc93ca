"""Per task and length: prompt lengths, line count and answer count of the reference's samples and of
this tool's, and where the masked prompt head, tail or answer prefix differ. Usage: compare.py REF_OUT OURS_OUT"""
import json, re, sys
REF, OURS = sys.argv[1], sys.argv[2]
def stats(path):
    L=[json.loads(l) for l in open(path)]
    lens=[x["length"] for x in L]
    inp=L[0]["input"]
    lines=inp.count("\n")
    mask=lambda s: re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}","<U>",re.sub(r"\d+","<N>",s))
    return lens, lines, len(L[0]["outputs"]), mask(inp[:160]).replace("\n","|"), mask(inp[-110:]).replace("\n","|"), L[0]["answer_prefix"][:60]
for t in ["niah_single_1","niah_multikey_2","niah_multikey_3","vt","cwe","fwe"]:
    for Ln in [4096,8192]:
        r=stats(f"{REF}/{Ln}/{t}/validation.jsonl"); o=stats(f"{OURS}/{Ln}/{t}/validation.jsonl")
        print(f"{t} {Ln}: ref lens {r[0]} lines {r[1]} outs {r[2]} | ours lens {o[0]} lines {o[1]} outs {o[2]}")
        if r[3]!=o[3] and not t.startswith(("cwe","fwe")): print("  HEAD ref :",r[3]); print("  HEAD ours:",o[3])
        if r[4]!=o[4]: print("  TAIL ref :",r[4]); print("  TAIL ours:",o[4])
        if r[5]!=o[5]: print("  PFX ref :",repr(r[5])); print("  PFX ours:",repr(o[5]))
