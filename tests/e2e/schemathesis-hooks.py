# Loaded by tests/e2e/schemathesis.test.ts (SCHEMATHESIS_HOOKS). The shims' OpenAPI document states
# every input rule JSON Schema can express (gateway/src/rest/rest-inputs.ts); three rules compare a
# value with another value or with a list the subgraph owns, which JSON Schema cannot say, and are
# documented in prose instead. Generated requests that break one of these three are dropped, so that
# positive_data_acceptance judges everything else; each rule has its own tests in its subgraph.
import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import schemathesis

_ROOT = Path(__file__).resolve().parents[2]
# The users subgraph's own list (compared lower-cased), read from its source rather than copied.
_COMMON_PASSWORDS = frozenset(
    re.findall(r"^\s*'([^']+)',?$", (_ROOT / "packages/platform/src/common-passwords.ts").read_text(), re.M)
)
_MAX_PER_PRODUCT = 1000


def _operation(ctx):
    return ctx.operation.definition.raw.get("operationId") if ctx.operation else None


# The callers: as auth providers (not configured headers), so that a case generated without its
# credentials, to test the refusal, is sent without them.
def _bearer(case, token):
    case.headers = case.headers or {}
    case.headers["Authorization"] = f"Bearer {token}"


@schemathesis.auth(refresh_interval=None, retry_on=[]).apply_to(
    operation_id=["createProduct", "updateProduct", "deleteUser"]
)
class AdminToken:
    def get(self, case, context):
        return os.environ["ST_ADMIN_TOKEN"]

    def set(self, case, data, context):
        _bearer(case, data)


@schemathesis.auth(refresh_interval=None, retry_on=[]).apply_to(
    operation_id=[
        "getOrder",
        "updateOrderStatus",
        "getPayment",
        "getUser",
        "createOrder",
        "createPayment",
        "deleteMyAccount",
    ]
)
class CustomerToken:
    def get(self, case, context):
        return os.environ["ST_CUSTOMER_TOKEN"]

    def set(self, case, data, context):
        _bearer(case, data)


@schemathesis.hook
def filter_path_parameters(ctx, path_parameters):
    # deleteUser (as the admin) never erases the customer whose token every other operation uses:
    # they would all answer 401 from then on, and nothing more would be tested.
    if _operation(ctx) != "deleteUser" or not isinstance(path_parameters, dict):
        return True
    return path_parameters.get("id") != os.environ["ST_CUSTOMER_ID"]


@schemathesis.hook
def filter_query(ctx, query):
    # listProducts: minPrice must not exceed maxPrice.
    if _operation(ctx) != "listProducts" or not isinstance(query, dict):
        return True
    try:
        return Decimal(str(query["minPrice"])) <= Decimal(str(query["maxPrice"]))
    except (KeyError, InvalidOperation, TypeError):
        return True


@schemathesis.hook
def filter_body(ctx, body):
    if not isinstance(body, dict):
        return True
    operation = _operation(ctx)
    if operation == "registerUser":
        # A password on the common-password list.
        password = body.get("password")
        return not isinstance(password, str) or password.lower() not in _COMMON_PASSWORDS
    if operation == "createOrder" and isinstance(body.get("items"), list):
        # Lines of one product are merged: at most 1000 of it in all.
        totals = {}
        for item in body["items"]:
            if isinstance(item, dict) and isinstance(item.get("quantity"), (int, float)):
                key = str(item.get("productId", "")).strip().lower()
                totals[key] = totals.get(key, 0) + item["quantity"]
        return all(total <= _MAX_PER_PRODUCT for total in totals.values())
    return True
