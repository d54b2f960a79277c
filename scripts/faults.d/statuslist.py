"""Compares a published Token Status List with the store and the admin API's answers.

    statuslist.py TOKEN_FILE STORE REVOKE_SET_FILE ANSWERED_REVOKED_FILE

STORE is a SQLite file path or a postgres:// URL (read with psql).

Prints one JSON object: whether the published list equals the stored one byte for byte,
which credentials disagree with what was asked / answered, and duplicate status indices.
Decodes only (the signature is the verifier's job; the status list tests cover it)."""
import base64, json, sqlite3, subprocess, sys, zlib

token_file, db, revoke_file, answered_file = sys.argv[1:5]
token = open(token_file).read().strip()
payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
bits = payload["status_list"]["bits"]
published = zlib.decompress(base64.urlsafe_b64decode(payload["status_list"]["lst"] + "=="))

STATUSES = "SELECT statuses FROM status_lists WHERE list_id = 'tsl-1'"
CREDS = "SELECT id, status_index FROM issued_credentials WHERE status_list_id = 'tsl-1'"
DUPS = ("SELECT status_list_id, status_index, count(*) FROM issued_credentials"
        " WHERE status_list_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1")
if db.startswith("postgres://"):
    def rows(sql):
        out = subprocess.run(["psql", "-qtAX", "-F", "\t", db, "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]
    stored = bytes.fromhex(rows(STATUSES.replace("statuses", "encode(statuses, 'hex')", 1))[0][0])
    creds = [(i, int(x)) for i, x in rows(CREDS)]
    dups = rows(DUPS)
else:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    stored = con.execute(STATUSES).fetchone()[0]
    creds = con.execute(CREDS).fetchall()
    dups = con.execute(DUPS).fetchall()

def value(index):
    per = 8 // bits
    return (published[index // per] >> ((index % per) * bits)) & ((1 << bits) - 1)

revoke = {l.strip() for l in open(revoke_file) if l.strip()}
answered = {l.strip() for l in open(answered_file) if l.strip()}
wrong_revoked = [i for i, x in creds if i in revoke and value(x) != 1]
wrong_valid = [i for i, x in creds if i not in revoke and value(x) != 0]
answered_not_revoked = [i for i, x in creds if i in answered and value(x) != 1]
print(json.dumps({
    "bits": bits,
    "published_equals_stored": published == stored,
    "credentials": len(creds),
    "revoked_in_list": sum(1 for _, x in creds if value(x) == 1),
    "asked_but_not_revoked": wrong_revoked,
    "revoked_but_not_asked": wrong_valid,
    "answered_revoked_but_not_in_list": answered_not_revoked,
    "duplicate_indices": len(dups),
    "distinct_indices": len({x for _, x in creds}),
}))
