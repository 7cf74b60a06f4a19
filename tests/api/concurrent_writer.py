"""One writer process of ``test_concurrent_writers.py``: over its own HTTP connections to the server, it reads
a record (for its ETag) and writes it with ``If-Match``, creates and deletes products and adds revenue figures
of one shared company, and records every request's outcome.

No Django here: the test starts these processes with the "spawn" method, so this module is all they import.
"""

import http.client
import json
import random

OPERATIONS = ["company_patch", "product_patch", "product_create", "product_delete", "revenue_create", "revenue_patch"]
WEIGHTS = [30, 25, 15, 10, 10, 10]
COMPANY_TEXT_FIELDS = ["name", "name_en", "short_name", "address", "description_vi"]
PRODUCT_TEXT_FIELDS = ["name", "description_vi"]
SIZE_BANDS = ["micro", "small", "medium", "large"]
MATURITIES = ["research", "pilot", "commercial", "exported"]
ATTEMPTS = 3
COUNTRIES = ["JP", "US", "KR", "SG", "DE", "FR", "AU", "GB", "CA", "TH"]


class Writer:
    def __init__(self, job: dict):
        self.job = job
        self.index = job["index"]
        self.random = random.Random(job["seed"])
        self.records: list[dict] = []
        self.own_products: list[tuple[int, str]] = []  # (id, ETag) of the products this writer created
        self.serial = 0

    def request(self, kind: str, method: str, path: str, body: dict | None = None, if_match: str | None = None):
        headers = {"Authorization": f"Bearer {self.job['token']}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if if_match is not None:
            headers["If-Match"] = if_match
        # A new connection per request, as a sync gunicorn worker closes each one after its answer.
        connection = http.client.HTTPConnection("127.0.0.1", self.job["port"], timeout=60)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            etag = response.getheader("ETag")
        finally:
            connection.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw[:500].decode(errors="replace")
        record = {
            "writer": self.index,
            "kind": kind,
            "method": method,
            "path": path,
            "body": body,
            "if_match": if_match,
            "status": response.status,
            "etag": etag,
            "data": data,
        }
        self.records.append(record)
        return record

    def token(self) -> str:
        """A value no other write uses, so each applied write is recognisable in the final state and log."""
        self.serial += 1
        return f"w{self.index}-{self.serial}"

    def read(self, path: str) -> str | None:
        record = self.request("read", "GET", path)
        return record["etag"] if record["status"] == 200 else None

    def edit(self, kind: str, path: str, body: dict) -> None:
        """Read the record and PATCH it with its ETag; when refused (another write came first), read it
        again and retry, as a client would, a few times."""
        for _attempt in range(ATTEMPTS):
            etag = self.read(path)
            if etag is None or self.request(kind, "PATCH", path, body, etag)["status"] != 412:
                return

    def company_patch(self):
        mark = self.token()
        body = {"description_en": f"Description {mark}"}
        for field in self.random.sample(COMPANY_TEXT_FIELDS, self.random.randint(0, 2)):
            body[field] = f"Công ty Đồng Thời {mark}" if field == "name" else f"{field} {mark}"
        if self.random.random() < 0.3:
            body["size_band"] = self.random.choice(SIZE_BANDS)
        if self.random.random() < 0.3:
            body["founded_year"] = 1900 + self.index * 20 + self.serial % 20
        self.edit("company_patch", f"/api/v1/companies/{self.job['tax_code']}/", body)

    def product_patch(self):
        mark = self.token()
        body = {"description_en": f"Product description {mark}"}
        for field in self.random.sample(PRODUCT_TEXT_FIELDS, self.random.randint(0, 1)):
            body[field] = f"Sản phẩm chung {mark}" if field == "name" else f"{field} {mark}"
        if self.random.random() < 0.3:
            body["maturity"] = self.random.choice(MATURITIES)
        if self.random.random() < 0.3:
            body["launch_year"] = 1900 + self.index * 20 + self.serial % 20
        self.edit("product_patch", f"/api/v1/products/{self.random.choice(self.job['products'])}/", body)

    def product_create(self):
        body = {
            "company": self.job["tax_code"],
            "name": f"Sản phẩm riêng {self.token()}",
            "category": self.job["category"],
            "maturity": self.random.choice(MATURITIES),
        }
        record = self.request("product_create", "POST", "/api/v1/products/", body)
        if record["status"] == 201:
            self.own_products.append((record["data"]["id"], record["etag"]))

    def product_delete(self):
        if not self.own_products:
            return self.product_create()
        product_id, etag = self.own_products.pop(self.random.randrange(len(self.own_products)))
        self.request("product_delete", "DELETE", f"/api/v1/products/{product_id}/", None, etag)

    def revenue_create(self):
        # Every writer cites the same new source: its first use races to create it.
        self.token()
        body = {
            "company": self.job["tax_code"],
            "year": 1950 + self.serial,
            "country": COUNTRIES[self.index],
            "amount_usd": f"{self.index * 100000 + self.serial}.00",
            "source": {"title": self.job["source_title"]},
        }
        self.request("revenue_create", "POST", "/api/v1/export-revenues/", body)

    def revenue_patch(self):
        self.token()
        body = {"amount_usd": f"{self.index * 100000 + self.serial}.00"}
        self.edit("revenue_patch", f"/api/v1/export-revenues/{self.job['revenue']}/", body)

    def run(self):
        # The first write of every writer is the same kind, so that they all race on it at once.
        operations = ["revenue_create"] + self.random.choices(OPERATIONS, WEIGHTS, k=self.job["operations"] - 1)
        for operation in operations:
            getattr(self, operation)()
        return self.records


def run_writer(job: dict, barrier, results) -> None:
    """Process entry point: wait for the others, write, and put ``(index, records or error)`` on ``results``."""
    try:
        barrier.wait(timeout=120)
        results.put((job["index"], Writer(job).run()))
    except Exception as error:  # noqa: BLE001 - reported by the test
        results.put((job["index"], f"{type(error).__name__}: {error}"))
