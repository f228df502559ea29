"""The load of bench/http_load.py (issue 8): officials working their own inboxes through the REST API (token auth) and
citizens looking up dossiers on the portal. Run by bench/http_load.py, which writes the config this file reads
(BENCH_HTTP_CONFIG: officials' tokens, dossier codes and secrets, the answers each step needs); not meant to be run
alone, though it can be against a server seeded the same way:

  locust -f bench/locustfile.py --headless -u 50 -r 25 -t 30s --host http://127.0.0.1:PORT

Judging: any 5xx (or a connection error) is a failure; a 409 is expected where it is deliberate (a double-clicked
"complete", or two officials' users racing for one step) and counts as a success; a 404 is expected for the citizens'
mistyped codes; anything else unexpected is a failure too ("unexpected <status>"). Think times (BENCH_HTTP_WAIT,
"0.05,0.25" s by default) keep 50 users at about the issue's 200+ requests/s while the server keeps up.
"""
import itertools
import json
import os
import random

from locust import HttpUser, between, task

CONFIG = json.loads(open(os.environ["BENCH_HTTP_CONFIG"], encoding="utf-8").read())
WAIT = [float(x) for x in os.environ.get("BENCH_HTTP_WAIT", "0.05,0.25").split(",")]
OFFICIALS = itertools.cycle(CONFIG["officials"])  # each official's users take the next official (round robin)
BOOLEANS = CONFIG.get("booleans", {})  # field -> probability of true (as processes/simulation.py answers)
DOUBLE_CLICK = 0.1  # share of completions posted twice: the second must answer 409


def judge(response, expected=(200,)):
    """Success for the expected statuses; a failure named "5xx <status>" or "unexpected <status>" otherwise."""
    code = response.status_code
    if code in expected:
        response.success()
    elif code >= 500 or code == 0:
        response.failure(f"5xx {code}" if code else f"connection error: {response.error}")
    else:
        response.failure(f"unexpected {code}: {response.text[:200]}")


class Official(HttpUser):
    """An official of the lanes at their own inbox: mostly reading (the inbox, a dossier, its history), sometimes
    taking the first step of the list, claiming and completing it with the data the step needs."""

    weight = 3
    wait_time = between(*WAIT)

    def on_start(self):
        official = next(OFFICIALS)
        self.username = official["username"]
        self.client.headers["Authorization"] = f"Token {official['token']}"
        self.items = []

    def _inbox(self):
        with self.client.get("/api/v1/tasks/", name="/api/v1/tasks/", catch_response=True) as response:
            judge(response)
            if response.status_code == 200:
                self.items = [i for i in response.json().get("results", []) if i.get("kind") == "step"]

    @task(6)
    def inbox(self):
        self._inbox()

    @task(3)
    def dossier(self):
        if not self.items:
            return self._inbox()
        code = random.choice(self.items)["dossier"]
        with self.client.get(f"/api/v1/dossiers/{code}/", name="/api/v1/dossiers/[code]/",
                             catch_response=True) as response:
            judge(response, (200, 404))  # 404: the step was done and the dossier left this official's view

    @task(1)
    def history(self):
        if not self.items:
            return self._inbox()
        code = random.choice(self.items)["dossier"]
        with self.client.get(f"/api/v1/dossiers/{code}/history/", name="/api/v1/dossiers/[code]/history/",
                             catch_response=True) as response:
            judge(response, (200, 404))

    @task(2)
    def work(self):
        """Claims and completes one step of the inbox (a step another official's user took first answers 409)."""
        self._inbox()
        free = [i for i in self.items if i.get("claimed_by") in (None, self.username)]
        if not free:
            return
        item = random.choice(free[:5])  # the most urgent few: two users of one inbox sometimes race for one
        with self.client.post(f"/api/v1/tasks/{item['id']}/claim/", name="/api/v1/tasks/[id]/claim/",
                              catch_response=True) as response:
            judge(response, (200, 409))
            if response.status_code != 200:
                return
        keys = CONFIG["answers"].get(item["procedure"], {}).get(item["bpmn_id"]) or item.get("required_fields") or []
        data = {key: random.random() < BOOLEANS[key] if key in BOOLEANS else "Mô phỏng" for key in keys}
        url = f"/api/v1/tasks/{item['id']}/complete/"
        with self.client.post(url, json={"data": data}, name="/api/v1/tasks/[id]/complete/",
                              catch_response=True) as response:
            judge(response, (200, 409))
            if response.status_code != 200:
                return
        if random.random() < DOUBLE_CLICK:
            with self.client.post(url, json={"data": data}, name="/api/v1/tasks/[id]/complete/ (again: 409)",
                                  catch_response=True) as response:
                judge(response, (409,))
        self.items = [i for i in self.items if i["id"] != item["id"]]


class Citizen(HttpUser):
    """A citizen with a receipt: the status from the code alone, or the progress with the receipt's secret (its QR
    code); now and then a mistyped code (404). Each request comes from its own address (X-Real-IP, read because
    bench/http_load.py sets RATELIMIT_IP_META_KEY as behind a reverse proxy): many citizens, each under the portal's
    per-address limits."""

    weight = 2
    wait_time = between(*WAIT)

    def _headers(self):
        return {"X-Real-IP": f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"}

    @task(6)
    def status(self):
        dossier = random.choice(CONFIG["dossiers"])
        with self.client.get("/tra-cuu/", params={"ma": dossier["code"]}, name="/tra-cuu/?ma=",
                             headers=self._headers(), catch_response=True) as response:
            judge(response)

    @task(3)
    def progress(self):
        dossier = random.choice(CONFIG["dossiers"])
        with self.client.get("/tra-cuu/", params={"ma": dossier["code"], "mk": dossier["secret"]},
                             name="/tra-cuu/?ma=&mk=", headers=self._headers(), catch_response=True) as response:
            judge(response)

    @task(1)
    def mistyped(self):
        code = random.choice(CONFIG["dossiers"])["code"][:-4] + "9999"
        with self.client.get("/tra-cuu/", params={"ma": code}, name="/tra-cuu/?ma= (unknown: 404)",
                             headers=self._headers(), catch_response=True) as response:
            judge(response, (404,))
