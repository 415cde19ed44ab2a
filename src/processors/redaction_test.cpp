#include "edgetrace/processors/redaction.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgetrace::processors {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<Redactor> make(RedactionOptions o = {}) {
  o.enabled = true;
  core::Result<std::unique_ptr<Redactor>> r = Redactor::create(o);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r ? std::move(*r) : nullptr;
}

std::unique_ptr<Redactor> only(std::string_view name) {
  RedactionOptions o;
  o.only_default_patterns = {std::string(name)};
  return make(o);
}

std::string redacted(const Redactor& r, std::string s) {
  r.redact(s);
  return s;
}

TEST(RedactionTest, EmailAddresses) {
  auto r = only("email");
  EXPECT_EQ(redacted(*r, "user bob.smith+tag@mail.example.co.uk logged in"),
            "user [REDACTED] logged in");
  EXPECT_EQ(redacted(*r, "<a_b@x.io>"), "<[REDACTED]>");
  // Not addresses.
  EXPECT_EQ(redacted(*r, "git@github"), "git@github");
  EXPECT_EQ(redacted(*r, "rate 5@10.0"), "rate 5@10.0");
  EXPECT_EQ(redacted(*r, "@handle"), "@handle");
}

TEST(RedactionTest, BearerTokensKeepTheScheme) {
  auto r = only("bearer_token");
  EXPECT_EQ(redacted(*r, "Bearer abcDEF123456.xyz"), "Bearer [REDACTED]");
  EXPECT_EQ(redacted(*r, "sent basic dXNlcjpwYXNzd29yZA== to host"),
            "sent basic [REDACTED] to host");
  // A JWT wherever it appears.
  EXPECT_EQ(redacted(*r, "jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.SflKxwRJSMeKKF2QT4fwpM"),
            "jwt=[REDACTED]");
  // Prose is left alone: a word after "bearer" without digits or mixed case.
  EXPECT_EQ(redacted(*r, "bearer authentication is configured"),
            "bearer authentication is configured");
  EXPECT_EQ(redacted(*r, "Bearer short1"), "Bearer short1");
}

TEST(RedactionTest, ApiKeysInKeyValueFormsAndKnownPrefixes) {
  auto r = only("api_key");
  EXPECT_EQ(redacted(*r, "GET /x?api_key=s3cr3tvalue&page=2"), "GET /x?api_key=[REDACTED]&page=2");
  EXPECT_EQ(redacted(*r, R"({"password": "hunter22", "user": "bob"})"),
            R"({"password": "[REDACTED]", "user": "bob"})");
  EXPECT_EQ(redacted(*r, "Authorization: Bearer abc.def.ghi"), "Authorization: Bearer [REDACTED]");
  EXPECT_EQ(redacted(*r, "client_secret: 9f8e7d6c"), "client_secret: [REDACTED]");
  EXPECT_EQ(redacted(*r, "key sk-proj-4bC9dE2fG7hJ1kL3mN5p here"), "key [REDACTED] here");
  EXPECT_EQ(redacted(*r, "sk_live_51H8xYz2eZvKYlo2C0abcdef"), "[REDACTED]");
  EXPECT_EQ(redacted(*r, "aws AKIAIOSFODNN7EXAMPLE used"), "aws [REDACTED] used");
  EXPECT_EQ(redacted(*r, "ghp_0123456789abcdefghijklmnopqrstuvwxyz"), "[REDACTED]");
  EXPECT_EQ(redacted(*r, "xoxb-1234567890-abcdefghij"), "[REDACTED]");
  EXPECT_EQ(redacted(*r, "AIzaSyA1234567890abcdefghijklmnopqrstuv"), "[REDACTED]");
  // Not keys: a slug without digits, a too-short AKIA, a key name without a value.
  EXPECT_EQ(redacted(*r, "see sk-learn-examples-gallery"), "see sk-learn-examples-gallery");
  EXPECT_EQ(redacted(*r, "AKIA1234"), "AKIA1234");
  EXPECT_EQ(redacted(*r, "the password field is required"), "the password field is required");
}

TEST(RedactionTest, Ipv4AddressesButNotLongerDottedNumbers) {
  auto r = only("ipv4");
  EXPECT_EQ(redacted(*r, "from 192.168.1.20:8080"), "from [REDACTED]:8080");
  EXPECT_EQ(redacted(*r, "peer=10.0.0.1."), "peer=[REDACTED].");
  EXPECT_EQ(redacted(*r, "0.0.0.0 and 255.255.255.255"), "[REDACTED] and [REDACTED]");
  // Versions and other dotted numbers.
  EXPECT_EQ(redacted(*r, "version 1.2.3"), "version 1.2.3");
  EXPECT_EQ(redacted(*r, "v1.2.3.4"), "v1.2.3.4");
  EXPECT_EQ(redacted(*r, "build 1.2.3.4.5"), "build 1.2.3.4.5");
  EXPECT_EQ(redacted(*r, "10.0.19041.1"), "10.0.19041.1");
  EXPECT_EQ(redacted(*r, "256.1.1.1"), "256.1.1.1");
}

TEST(RedactionTest, Ipv6Addresses) {
  auto r = only("ipv6");
  EXPECT_EQ(redacted(*r, "peer 2001:db8:85a3:0:0:8a2e:370:7334 up"), "peer [REDACTED] up");
  EXPECT_EQ(redacted(*r, "bind fe80::1 done"), "bind [REDACTED] done");
  EXPECT_EQ(redacted(*r, "[2001:db8::8a2e:370:7334]:443"), "[[REDACTED]]:443");
  EXPECT_EQ(redacted(*r, "loopback ::1"), "loopback [REDACTED]");
  EXPECT_EQ(redacted(*r, "mapped ::ffff:192.0.2.128 x"), "mapped [REDACTED] x");
  // Not addresses: C++ scopes, times, MAC addresses.
  EXPECT_EQ(redacted(*r, "std::vector<int> a::b"), "std::vector<int> a::b");
  EXPECT_EQ(redacted(*r, "at 10:20:30"), "at 10:20:30");
  EXPECT_EQ(redacted(*r, "mac 00:1a:2b:3c:4d:5e"), "mac 00:1a:2b:3c:4d:5e");
}

TEST(RedactionTest, CardNumbersMustPassLuhn) {
  auto r = only("card");
  EXPECT_EQ(redacted(*r, "card 4111 1111 1111 1111 ok"), "card [REDACTED] ok");
  EXPECT_EQ(redacted(*r, "card 4111-1111-1111-1111"), "card [REDACTED]");
  EXPECT_EQ(redacted(*r, "pan=5500005555555559;"), "pan=[REDACTED];");
  EXPECT_EQ(redacted(*r, "amex 378282246310005"), "amex [REDACTED]");
  // Sixteen digits that fail the Luhn check; an order id; a nanosecond timestamp.
  EXPECT_EQ(redacted(*r, "4111 1111 1111 1112"), "4111 1111 1111 1112");
  EXPECT_EQ(redacted(*r, "order 1234567890123456"), "order 1234567890123456");
  EXPECT_EQ(redacted(*r, "t=1733216400123456789"), "t=1733216400123456789");
  EXPECT_EQ(redacted(*r, "id 41111111111111110000000"), "id 41111111111111110000000");
}

TEST(RedactionTest, AllDefaultsTogetherAndCustomReplacement) {
  RedactionOptions o;
  o.replacement = "***";
  auto r = make(o);
  std::string s = "bob@example.com paid with 4111111111111111 from 10.1.2.3";
  EXPECT_TRUE(r->redact(s));
  EXPECT_EQ(s, "*** paid with *** from ***");
  std::string clean = "GET /health 200 in 3ms (v1.2.3)";
  EXPECT_FALSE(r->matches(clean));
  EXPECT_FALSE(r->redact(clean));
  EXPECT_EQ(clean, "GET /health 200 in 3ms (v1.2.3)");
}

// The scan that lets a clean string skip the regular expressions must never skip a text
// they would change: the defaults alone (scan on) and the defaults with a user's pattern
// that never matches (no scan: a user's pattern has no known clue) agree on every text.
TEST(RedactionTest, TheCleanStringScanNeverSkipsAMatch) {
  auto scanned = make();
  RedactionOptions o;
  o.patterns = {"q{40}"};
  auto unscanned = make(o);
  const std::vector<std::string> texts = {
      "/cart/checkout",
      "web-shop",
      "Linux x86_64",
      "bench-user",
      "GET /health 200 in 3ms",
      "checkout step 3 done for jane.doe@example.com from 203.0.113.7",
      "from 10.0.0.1 user a.b@c.io",
      "a@b.io and c@d.io at 1.2.3.4 then 5.6.7.8 ok",
      "203.0.113.7@example.com",
      "x@y 4111111111111111 and api_key=abc123 from fe80::1",
      "Bearer abcDEF123456.xyz",
      "Bearer\tabcDEF123456.xyz",
      "BASIC\ndXNlcjpwYXNzd29yZA==",
      "x bEaReR  abcDEF123456",
      "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.SflKxwRJSMeKK",
      "api_key=s3cr3tvalue",
      "password: hunter22",
      "token:abc123",
      "sk-proj-4bC9dE2fG7hJ1kL3mN5p",
      "pk_live_51H8xYz2eZvKYlo2C0abcdef",
      "rk-0123456789abcdefgh",
      "AKIAIOSFODNN7EXAMPLE",
      "ASIAIOSFODNN7EXAMPLE",
      "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
      "gho_0123456789abcdefghijklmnopqrstuvwxyz",
      "xoxb-1234567890-abcdefghij",
      "xoxp-1234567890-abcdefghij",
      "AIzaSyA1234567890abcdefghijklmnopqrstuv",
      "glpat-0123456789abcdefghij",
      "card 4111 1111 1111 1111 ok",
      "4111-1111-1111-1111",
      "10.1.2.3",
      "v1.2.3.4",
      "1.2.3.4.5",
      "fe80::1",
      "::1",
      "::ffff:10.0.0.1",
      "2001:db8:85a3:0:0:8a2e:370:7334",
      "a@b",
      "x = y",
      "no clue at all here",
      ""};
  for (const std::string& text : texts) {
    std::string a = text;
    std::string b = text;
    EXPECT_EQ(scanned->redact(a), unscanned->redact(b)) << text;
    EXPECT_EQ(a, b) << text;
    EXPECT_EQ(scanned->matches(text), unscanned->matches(text)) << text;
  }
}

TEST(RedactionTest, ExtraPatternsWithAndWithoutDefaults) {
  RedactionOptions o;
  o.default_patterns = false;
  o.patterns = {"(?i)ssn[ :]*\\d{3}-\\d{2}-\\d{4}", "user-(\\d+)"};
  auto r = make(o);
  EXPECT_EQ(redacted(*r, "SSN: 123-45-6789 and user-42, bob@example.com"),
            "[REDACTED] and [REDACTED], bob@example.com");
  // A pattern that can match the empty string changes nothing where it matches empty.
  o.patterns = {"x*"};
  auto e = make(o);
  EXPECT_EQ(redacted(*e, "abxxc"), "ab[REDACTED]c");
}

TEST(RedactionTest, InvalidPatternIsNamed) {
  RedactionOptions o;
  o.patterns = {"ok", "broken(["};
  core::Result<std::unique_ptr<Redactor>> r = Redactor::create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("'broken(['"));
  EXPECT_THAT(r.status().message(), HasSubstr("missing"));

  o.patterns.clear();
  o.only_default_patterns = {"email", "phone"};
  r = Redactor::create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("'phone'"));
}

TEST(RedactionTest, TrimsStackPaths) {
  RedactionOptions o;
  o.stack_path_roots = {"/home/ci/build/"};
  auto r = make(o);
  std::string trace =
      "#0 0x4f in main /home/ci/build/src/app/main.cpp:42:5\n"
      "  at handler (/usr/lib/node/server.js:10:3)\n"
      "  File \"/opt/app/venv/lib/x.py\", line 3\n"
      "  C:\\Users\\bob\\src\\app.cpp(12)\n"
      "  http://example.com/a/b stays\n";
  EXPECT_TRUE(r->trim_paths(trace));
  EXPECT_EQ(trace,
            "#0 0x4f in main src/app/main.cpp:42:5\n"
            "  at handler (server.js:10:3)\n"
            "  File \"x.py\", line 3\n"
            "  app.cpp(12)\n"
            "  http://example.com/a/b stays\n");
  std::string relative = "src/a.cpp:3 and /x";
  EXPECT_FALSE(r->trim_paths(relative));
  std::string path = "/home/ci/build/lib/util.cpp";
  EXPECT_TRUE(r->trim_paths(path));
  EXPECT_EQ(path, "lib/util.cpp");
}

}  // namespace
}  // namespace edgetrace::processors
