"""The double's OAuth server: codes, rotation with grace, invalid_grant, expiries (spec §3, §14)."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlencode, urlsplit

from qbo.double.oauth import DAY
from qbo.tests.helpers import Answer, DoubleTestCase, basic, send

REDIRECT = "http://127.0.0.1:8000/qbo/callback"


class OAuthTestCase(DoubleTestCase):
    def authorize(self, **overrides: str) -> Answer:
        params = {
            "client_id": self.qbo.client_id,
            "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting openid",
            "redirect_uri": REDIRECT,
            "state": "s-123",
            **overrides,
        }
        return send(self.qbo.base_url, "GET", "/connect/oauth2?" + urlencode(params))

    def redirected(self, answer: Answer) -> dict[str, str]:
        self.assertEqual(answer.status, 302)
        location = urlsplit(answer.headers["location"])
        self.assertEqual(f"{location.scheme}://{location.netloc}{location.path}", REDIRECT)
        return {k: v[0] for k, v in parse_qs(location.query).items()}

    def exchange(self, code: str, redirect_uri: str = REDIRECT) -> Answer:
        return self.token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    def test_it_redirects_with_code_state_and_realm_id(self) -> None:
        params = self.redirected(self.authorize())
        self.assertEqual(params["state"], "s-123")
        self.assertEqual(params["realmId"], self.realm)
        self.assertTrue(params["code"])

    def test_it_exchanges_a_code_once_for_tokens(self) -> None:
        code = self.redirected(self.authorize())["code"]
        answer = self.exchange(code)
        self.assertEqual(answer.status, 200, answer.raw)
        self.assertEqual(answer.body["token_type"], "bearer")
        self.assertEqual(answer.body["expires_in"], 3600)
        self.assertEqual(answer.body["x_refresh_token_expires_in"], 8726400)
        self.assertNotIn("x_refresh_token_hard_expires_in", answer.body)
        self.assertIn("intuit_tid", answer.headers)
        again = self.exchange(code)
        self.assertEqual((again.status, again.body["error"]), (400, "invalid_grant"))

    def test_it_refuses_an_expired_code_or_another_redirect_uri(self) -> None:
        first = self.redirected(self.authorize())["code"]
        self.assertEqual(self.exchange(first, "http://127.0.0.1:9/other").status, 400)
        second = self.redirected(self.authorize())["code"]
        self.clock.advance(301)
        self.assertEqual(self.exchange(second).body["error"], "invalid_grant")

    def test_it_redirects_errors_for_a_bad_scope_or_a_denial(self) -> None:
        self.assertEqual(self.redirected(self.authorize(scope="openid"))["error"], "invalid_scope")
        self.qbo.oauth.deny_next_authorization = True
        params = self.redirected(self.authorize())
        self.assertEqual((params["error"], params["state"]), ("access_denied", "s-123"))

    def test_it_answers_invalid_client_for_a_wrong_secret(self) -> None:
        answer = self.token_call(
            {"grant_type": "refresh_token", "refresh_token": self.tokens["refresh_token"]},
            auth=basic(self.qbo.client_id, "wrong"),
        )
        self.assertEqual((answer.status, answer.body), (401, {"error": "invalid_client"}))

    def test_it_accepts_client_secret_post(self) -> None:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.tokens["refresh_token"],
            "client_id": self.qbo.client_id,
            "client_secret": self.qbo.client_secret,
        }
        answer = send(
            self.qbo.base_url,
            "POST",
            "/oauth2/v1/tokens/bearer",
            urlencode(form).encode(),
            **{"Content-Type": "application/x-www-form-urlencoded"},
        )
        self.assertEqual(answer.status, 200, answer.raw)

    def test_it_sends_the_hard_expiry_when_asked(self) -> None:
        answer = self.token_call(
            {"grant_type": "refresh_token", "refresh_token": self.tokens["refresh_token"]},
            **{"x-include-refresh-token-hard-expires-in": "true"},
        )
        self.assertEqual(answer.body["x_refresh_token_hard_expires_in"], 5 * 365 * DAY)

    def test_it_rotates_once_a_day_by_default(self) -> None:
        old = self.tokens["refresh_token"]
        self.assertEqual(self.refresh(old).body["refresh_token"], old)
        self.clock.advance(DAY)
        new = self.refresh(old).body["refresh_token"]
        self.assertNotEqual(new, old)

    def test_it_keeps_a_rotated_token_working_during_the_grace_period(self) -> None:
        self.qbo.oauth.rotation_interval = 0
        old = self.tokens["refresh_token"]
        new = self.refresh(old).body["refresh_token"]
        self.assertNotEqual(new, old)
        self.clock.advance(DAY - 1)
        stale = self.refresh(old)
        self.assertEqual(stale.status, 200)
        self.assertEqual(stale.body["refresh_token"], new)
        self.clock.advance(1)
        dead = self.refresh(old)
        self.assertEqual(dead.status, 400)
        self.assertEqual(
            dead.body,
            {"error": "invalid_grant", "error_description": "Incorrect or invalid refresh token"},
        )
        self.assertEqual(self.refresh(new).status, 200)

    def test_it_keeps_the_connection_when_two_workers_refresh_at_once(self) -> None:
        self.qbo.oauth.rotation_interval = 0
        old = self.tokens["refresh_token"]
        answers: list[Answer] = []
        workers = [threading.Thread(target=lambda: answers.append(self.refresh(old))) for _ in "ab"]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        self.assertEqual([a.status for a in answers], [200, 200])
        current = self.qbo.oauth.current_refresh_token(self.qbo.client_id, self.realm)
        self.assertEqual({a.body["refresh_token"] for a in answers}, {current})
        for answer in answers:
            self.assertEqual(
                self.call(
                    "GET", "companyinfo/" + self.realm, token=answer.body["access_token"]
                ).status,
                200,
            )

    def test_it_kills_a_refresh_token_unused_for_100_days(self) -> None:
        self.clock.advance(8726400)
        self.assertEqual(self.refresh(self.tokens["refresh_token"]).body["error"], "invalid_grant")

    def test_it_keeps_a_refresh_token_in_use_alive_past_100_days(self) -> None:
        token = self.tokens["refresh_token"]
        self.qbo.oauth.rotation_interval = 1000 * DAY
        for _ in range(3):
            self.clock.advance(60 * DAY)
            answer = self.refresh(token)
            self.assertEqual(answer.status, 200)
            token = answer.body["refresh_token"]

    def test_it_refuses_refreshes_after_the_hard_expiry(self) -> None:
        self.qbo.oauth.hard_lifetime = 2 * DAY
        tokens = self.qbo.connect()
        token = tokens["refresh_token"]
        self.clock.advance(DAY)
        token = self.refresh(token).body["refresh_token"]
        self.clock.advance(DAY)
        self.assertEqual(self.refresh(token).body["error"], "invalid_grant")

    def test_it_expires_access_tokens_after_an_hour(self) -> None:
        self.assertEqual(self.call("GET", "companyinfo/" + self.realm).status, 200)
        self.clock.advance(3600)
        answer = self.call("GET", "companyinfo/" + self.realm)
        self.assertEqual(answer.status, 401)
        self.assertEqual(answer.body["fault"]["error"][0]["code"], "3200")

    def test_it_revokes_the_whole_grant(self) -> None:
        answer = send(
            self.qbo.base_url,
            "POST",
            "/v2/oauth2/tokens/revoke",
            b'{"token": "%s"}' % self.tokens["refresh_token"].encode(),
            Authorization=basic(self.qbo.client_id, self.qbo.client_secret),
            Accept="application/json",
            **{"Content-Type": "application/json"},
        )
        self.assertEqual(answer.status, 200)
        self.assertEqual(self.refresh(self.tokens["refresh_token"]).body["error"], "invalid_grant")
        self.assertEqual(self.call("GET", "companyinfo/" + self.realm).status, 401)

    def test_it_replaces_the_first_grant_when_the_company_connects_again(self) -> None:
        self.qbo.connect()
        self.assertEqual(self.refresh(self.tokens["refresh_token"]).body["error"], "invalid_grant")

    def test_it_publishes_a_discovery_document(self) -> None:
        answer = send(self.qbo.base_url, "GET", "/.well-known/openid_configuration")
        self.assertEqual(answer.body["token_endpoint"], self.qbo.token_url)
        self.assertEqual(answer.body["revocation_endpoint"], self.qbo.revoke_url)
