from __future__ import annotations

from django.contrib.auth.hashers import identify_hasher, make_password

from connections import passwords
from connections.models import Connection
from connections.passwords import GeneratedPasswordHasher, VerifiedCredentials
from qbsync.test import QBWC_PASSWORD, BaseTestCase
from qbwc import loop


class GeneratedPasswordTestCase(BaseTestCase):
    def test_it_stores_a_generated_password_behind_the_fast_hasher(self) -> None:
        raw = self.connection.generate_qbwc_password()

        self.assertTrue(passwords.is_generated(raw))
        self.assertIsInstance(
            identify_hasher(self.connection.qbwc_password), GeneratedPasswordHasher
        )
        self.assertNotIn(raw, self.connection.qbwc_password)
        self.assertTrue(self.connection.check_qbwc_password(raw))

    def test_it_refuses_a_wrong_password_for_a_generated_credential(self) -> None:
        raw = self.connection.generate_qbwc_password()

        self.assertFalse(self.connection.check_qbwc_password(passwords.generate()))
        self.assertFalse(self.connection.check_qbwc_password(raw[:-1] + "x"))
        self.assertFalse(self.connection.check_qbwc_password(""))

    def test_it_never_puts_a_typed_password_behind_the_fast_hasher(self) -> None:
        with self.assertRaises(ValueError):
            make_password("correct horse battery", hasher=GeneratedPasswordHasher.algorithm)

    def test_it_refuses_a_typed_password_against_a_fast_hash(self) -> None:
        encoded = make_password(passwords.generate(), hasher=GeneratedPasswordHasher.algorithm)

        self.assertFalse(GeneratedPasswordHasher().verify("correct horse battery", encoded))

    def test_it_keeps_typed_passwords_on_the_default_hasher(self) -> None:
        self.connection.set_qbwc_password(passwords.generate())

        self.assertNotIsInstance(
            identify_hasher(self.connection.qbwc_password), GeneratedPasswordHasher
        )


class VerifiedCredentialsTestCase(BaseTestCase):
    def test_it_refuses_the_old_password_once_a_new_one_is_set(self) -> None:
        self.assertTrue(self.connection.check_qbwc_password(QBWC_PASSWORD))  # remembered

        self.connection.set_qbwc_password("a-new-typed-password")

        self.assertFalse(self.connection.check_qbwc_password(QBWC_PASSWORD))
        self.assertTrue(self.connection.check_qbwc_password("a-new-typed-password"))

    def test_it_refuses_the_old_password_once_a_generated_one_replaces_it(self) -> None:
        self.assertTrue(self.connection.check_qbwc_password(QBWC_PASSWORD))

        raw = self.connection.generate_qbwc_password()

        self.assertFalse(self.connection.check_qbwc_password(QBWC_PASSWORD))
        self.assertTrue(self.connection.check_qbwc_password(raw))

    def test_it_refuses_the_same_password_set_again_until_it_verifies_anew(self) -> None:
        """A new hash of the same password is a new entry: nothing is keyed on the password."""
        cache = VerifiedCredentials()
        first, second = make_password(QBWC_PASSWORD), make_password(QBWC_PASSWORD)
        cache.check(QBWC_PASSWORD, first)

        self.assertTrue(cache.check(QBWC_PASSWORD, second))
        self.assertEqual(len(cache), 2)

    def test_it_remembers_only_passwords_that_verified(self) -> None:
        cache = VerifiedCredentials()
        encoded = make_password(QBWC_PASSWORD)

        self.assertFalse(cache.check("wrong", encoded))
        self.assertFalse(cache.check("wrong", encoded))
        self.assertEqual(len(cache), 0)
        self.assertTrue(cache.check(QBWC_PASSWORD, encoded))
        self.assertEqual(len(cache), 1)

    def test_it_holds_at_most_its_size(self) -> None:
        cache = VerifiedCredentials(size=2)

        for n in range(3):
            cache.check(f"password-{n}", make_password(f"password-{n}"))

        self.assertEqual(len(cache), 2)

    def test_it_refuses_a_password_verified_for_another_hash(self) -> None:
        cache = VerifiedCredentials()
        cache.check(QBWC_PASSWORD, make_password(QBWC_PASSWORD))

        self.assertFalse(cache.check(QBWC_PASSWORD, make_password("another one")))


class AuthenticateTestCase(BaseTestCase):
    def test_it_opens_a_session_for_a_generated_password(self) -> None:
        raw = self.connection.generate_qbwc_password()
        self.connection.save()

        answer = loop.authenticate("acme-qbd", raw)

        self.assertNotEqual(answer[1], "nvu")

    def test_it_refuses_the_old_password_after_a_change_stored_by_another_process(self) -> None:
        self.assertNotEqual(loop.authenticate("acme-qbd", QBWC_PASSWORD)[1], "nvu")
        stored = Connection.objects.get(pk=self.connection.pk)
        stored.generate_qbwc_password()
        stored.save()

        self.assertEqual(loop.authenticate("acme-qbd", QBWC_PASSWORD)[1], "nvu")

    def test_it_refuses_a_wrong_generated_password(self) -> None:
        self.connection.generate_qbwc_password()
        self.connection.save()

        self.assertEqual(loop.authenticate("acme-qbd", passwords.generate())[1], "nvu")
