#include "protocol/v4_request.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <type_traits>

namespace connect_auth::protocol {
namespace {

constexpr std::string_view kJson = "application/json";

// The seed's REFRESH_TOKEN body, byte for byte (seeds/000_9ef06c382405ad3d.txt, Python sample).
constexpr std::string_view kSeedRefreshBody =
    "{\n    \"scope\": \"OFFLINE_ACCESS\",\n    \"refreshToken\": \"refresh token\",\n    "
    "\"grantType\": \"REFRESH_TOKEN\"\n}\n";
// The seed's JavaScript sample (JSON.stringify output) of the same request.
constexpr std::string_view kSeedRefreshCompact =
    R"({"scope":"OFFLINE_ACCESS","refreshToken":"refresh token","grantType":"REFRESH_TOKEN"})";
constexpr std::string_view kPasswordBody =
    R"({"scope":"OFFLINE_ACCESS","userName":"sagarzond@gmail.com","password":"pa55 word!",)"
    R"("grantType":"PASSWORD"})";

Result<V4TokenRequest> parse(std::string_view body) { return parse_v4_token_request(kJson, body); }

ErrorCode code_of(std::string_view body) {
  auto parsed = parse(body);
  EXPECT_FALSE(parsed.ok()) << body.substr(0, 200);
  return parsed.ok() ? ErrorCode::kInternal : parsed.error().code;
}

void expect_invalid_request(std::string_view body) {
  auto parsed = parse(body);
  ASSERT_FALSE(parsed.ok()) << body.substr(0, 200);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidRequest) << body.substr(0, 200);
  EXPECT_FALSE(parsed.error().description.empty());
}

std::string password_body(std::string_view user, std::string_view password) {
  return R"({"grantType":"PASSWORD","userName":")" + std::string(user) + R"(","password":")" +
         std::string(password) + R"("})";
}

TEST(V4Request, SeedRefreshBodyVerbatim) {
  for (std::string_view body : {kSeedRefreshBody, kSeedRefreshCompact}) {
    auto parsed = parse(body);
    ASSERT_TRUE(parsed.ok()) << parsed.error().description;
    EXPECT_EQ(parsed->grant, V4TokenRequest::Grant::kRefreshToken);
    EXPECT_EQ(parsed->refresh_token, "refresh token");
    EXPECT_TRUE(parsed->scope_present);
    EXPECT_TRUE(parsed->offline_access);
    EXPECT_TRUE(parsed->user_name.empty());
    EXPECT_TRUE(parsed->password.empty());
  }
}

TEST(V4Request, SeedPasswordBody) {
  auto parsed = parse(kPasswordBody);
  ASSERT_TRUE(parsed.ok()) << parsed.error().description;
  EXPECT_EQ(parsed->grant, V4TokenRequest::Grant::kPassword);
  EXPECT_EQ(parsed->user_name, "sagarzond@gmail.com");
  EXPECT_EQ(parsed->password, "pa55 word!");
  EXPECT_TRUE(parsed->refresh_token.empty());
  EXPECT_TRUE(parsed->scope_present);
  EXPECT_TRUE(parsed->offline_access);
}

TEST(V4Request, ContentType) {
  for (std::string_view type :
       {"application/json", "Application/JSON", "application/json; charset=utf-8",
        "application/json;charset=UTF-8", "application/json ; charset=\"utf-8\"",
        " application/json ", "application/json;", "application/json; foo=bar"}) {
    EXPECT_TRUE(parse_v4_token_request(type, kPasswordBody).ok()) << type;
  }
  for (std::string_view type :
       {"", "application/x-www-form-urlencoded", "text/plain", "application/jsonx",
        "application/json-patch+json", "application/vnd.api+json", "text/json", "application/*",
        "application/json; charset=iso-8859-1", "application/json; charset", "json",
        "application/json, text/plain"}) {
    auto parsed = parse_v4_token_request(type, kPasswordBody);
    ASSERT_FALSE(parsed.ok()) << type;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidRequest) << type;
  }
}

TEST(V4Request, GrantType) {
  auto lower = parse(R"({"grantType":"refresh_token","refreshToken":"t"})");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->grant, V4TokenRequest::Grant::kRefreshToken);
  auto mixed = parse(R"({"grantType":"Password","userName":"u","password":"p"})");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->grant, V4TokenRequest::Grant::kPassword);

  expect_invalid_request(R"({"userName":"u","password":"p"})");                 // missing
  expect_invalid_request(R"({"grantType":"","userName":"u","password":"p"})");  // empty
  expect_invalid_request(R"({"grantType":null,"userName":"u","password":"p"})");
  expect_invalid_request(R"({"grantType":["PASSWORD"],"userName":"u","password":"p"})");
  expect_invalid_request(R"({"grantType":{"$ne":null},"userName":"u","password":"p"})");
  expect_invalid_request(R"({"granttype":"PASSWORD","userName":"u","password":"p"})");
  for (std::string_view body :
       {R"({"grantType":"client_credentials"})", R"({"grantType":"authorization_code"})",
        R"({"grantType":"PASSWORD "})", R"({"grantType":"PASS\u0000WORD"})",
        R"({"grantType":"PASSWORDPASSWORDPASSWORDPASSWORDPASSWORD"})"}) {
    EXPECT_EQ(code_of(body), ErrorCode::kUnsupportedGrantType) << body;
  }
}

TEST(V4Request, PasswordGrantMembers) {
  expect_invalid_request(R"({"grantType":"PASSWORD","password":"p"})");
  expect_invalid_request(R"({"grantType":"PASSWORD","userName":"u"})");
  expect_invalid_request(R"({"grantType":"PASSWORD","userName":"","password":"p"})");
  expect_invalid_request(R"({"grantType":"PASSWORD","userName":"u","password":""})");
  // NoSQL-injection shapes and every other non-string type.
  for (std::string_view value : {R"({"$ne":null})", R"({"$gt":""})", "[]", R"(["p"])", "1", "-0.5",
                                 "1e3", "true", "false", "null", "{}"}) {
    const std::string as_user =
        R"({"grantType":"PASSWORD","userName":)" + std::string(value) + R"(,"password":"p"})";
    const std::string as_password =
        R"({"grantType":"PASSWORD","userName":"u","password":)" + std::string(value) + "}";
    expect_invalid_request(as_user);
    expect_invalid_request(as_password);
  }
}

TEST(V4Request, RefreshGrantMembers) {
  expect_invalid_request(R"({"grantType":"REFRESH_TOKEN"})");
  expect_invalid_request(R"({"grantType":"REFRESH_TOKEN","refreshToken":{"$ne":null}})");
  expect_invalid_request(R"({"grantType":"REFRESH_TOKEN","refreshToken":123})");
  expect_invalid_request(R"({"grantType":"REFRESH_TOKEN","refreshToken":["a"]})");
  // The other grant's members do not satisfy this one.
  expect_invalid_request(R"({"grantType":"REFRESH_TOKEN","userName":"u","password":"p"})");
}

TEST(V4Request, OtherGrantsMembersAreIgnored) {
  auto password =
      parse(R"({"grantType":"PASSWORD","userName":"u","password":"p","refreshToken":{"x":[1,2]}})");
  ASSERT_TRUE(password.ok()) << password.error().description;
  EXPECT_TRUE(password->refresh_token.empty());
  auto refresh =
      parse(R"({"grantType":"REFRESH_TOKEN","refreshToken":"t","userName":"u","password":7})");
  ASSERT_TRUE(refresh.ok()) << refresh.error().description;
  EXPECT_TRUE(refresh->user_name.empty());
  EXPECT_TRUE(refresh->password.empty());
  // An over-long member of the other grant is not read either.
  auto long_token =
      parse(R"({"grantType":"PASSWORD","userName":"u","password":"p","refreshToken":")" +
            std::string(5000, 't') + R"("})");
  EXPECT_TRUE(long_token.ok());
}

TEST(V4Request, LengthCaps) {
  const std::string user_at_cap(kMaxUserNameBytes, 'u');
  const std::string password_at_cap(kMaxPasswordBytes, 'p');
  auto at_cap = parse(password_body(user_at_cap, password_at_cap));
  ASSERT_TRUE(at_cap.ok()) << at_cap.error().description;
  EXPECT_EQ(at_cap->user_name, user_at_cap);
  EXPECT_EQ(at_cap->password, password_at_cap);

  auto long_user = parse(password_body(user_at_cap + "u", "p"));
  ASSERT_FALSE(long_user.ok());
  EXPECT_EQ(long_user.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(long_user.error().description, "userName is too long");

  const std::string secret_tail = "SECRET-TAIL";
  auto long_password = parse(password_body("u", password_at_cap + secret_tail));
  ASSERT_FALSE(long_password.ok());
  EXPECT_EQ(long_password.error().description, "password is too long");
  EXPECT_EQ(long_password.error().description.find(secret_tail), std::string::npos);

  // A megabyte-long password is refused as quickly as a short one (no hashing anywhere here).
  auto huge_password = parse(password_body("u", std::string(1 << 20, 'p')));
  ASSERT_FALSE(huge_password.ok());
  EXPECT_EQ(huge_password.error().description, "password is too long");

  const std::string token_at_cap(kMaxRefreshTokenBytes, 't');
  auto token_ok = parse(R"({"grantType":"REFRESH_TOKEN","refreshToken":")" + token_at_cap + "\"}");
  ASSERT_TRUE(token_ok.ok());
  EXPECT_EQ(token_ok->refresh_token, token_at_cap);
  auto token_long =
      parse(R"({"grantType":"REFRESH_TOKEN","refreshToken":")" + token_at_cap + "t\"}");
  ASSERT_FALSE(token_long.ok());
  // bad-inputs §E: a token we could never have issued is invalid_grant, like an unknown one.
  EXPECT_EQ(token_long.error().code, ErrorCode::kInvalidGrant);

  // Escapes count decoded bytes: 256 × "\u0041" decodes to exactly the cap.
  std::string escaped_user;
  for (std::size_t i = 0; i < kMaxUserNameBytes; ++i) escaped_user += "\\u0041";
  auto escaped = parse(password_body(escaped_user, "p"));
  ASSERT_TRUE(escaped.ok()) << escaped.error().description;
  EXPECT_EQ(escaped->user_name, std::string(kMaxUserNameBytes, 'A'));
}

TEST(V4Request, EmptyRefreshTokenIsInvalidGrant) {
  auto empty = parse(R"({"grantType":"REFRESH_TOKEN","refreshToken":""})");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidGrant);
}

TEST(V4Request, Scope) {
  auto none = parse(R"({"grantType":"PASSWORD","userName":"u","password":"p"})");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->scope_present);
  EXPECT_FALSE(none->offline_access);

  auto empty = parse(R"({"grantType":"PASSWORD","userName":"u","password":"p","scope":""})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->scope_present);
  EXPECT_FALSE(empty->offline_access);

  for (std::string_view scope : {"offline_access", "Offline_Access",
                                 "OFFLINE_ACCESS offline_access", "  OFFLINE_ACCESS  "}) {
    auto parsed = parse(R"({"grantType":"PASSWORD","userName":"u","password":"p","scope":")" +
                        std::string(scope) + "\"}");
    ASSERT_TRUE(parsed.ok()) << scope;
    EXPECT_TRUE(parsed->scope_present);
    EXPECT_TRUE(parsed->offline_access) << scope;
  }
  for (std::string_view scope : {"admin", "OFFLINE_ACCESS admin", "openid", "OFFLINE_ACCESS,admin",
                                 "OFFLINE_ACCESS\\t", "offline access"}) {
    EXPECT_EQ(code_of(R"({"grantType":"PASSWORD","userName":"u","password":"p","scope":")" +
                      std::string(scope) + "\"}"),
              ErrorCode::kInvalidScope)
        << scope;
  }
  EXPECT_EQ(code_of(R"({"grantType":"REFRESH_TOKEN","refreshToken":"t","scope":"admin"})"),
            ErrorCode::kInvalidScope);
  for (std::string_view value : {"null", R"(["OFFLINE_ACCESS"])", "1", R"({"$ne":null})"}) {
    expect_invalid_request(R"({"grantType":"PASSWORD","userName":"u","password":"p","scope":)" +
                           std::string(value) + "}");
  }
  expect_invalid_request(R"({"grantType":"PASSWORD","userName":"u","password":"p","scope":")" +
                         std::string(kMaxV4ScopeBytes + 1, 'x') + "\"}");
}

TEST(V4Request, UnknownMembersIgnored) {
  auto parsed =
      parse(R"({"sub":"admin","exp":99999999999,"scp":["admin"],"uid":{"nested":[1,{"a":null}]},)"
            R"("grantType":"PASSWORD","userName":"u","password":"p","extra":true,"n":-1.5e10})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().description;
  EXPECT_EQ(parsed->user_name, "u");
  EXPECT_EQ(parsed->password, "p");
  EXPECT_FALSE(parsed->scope_present);
  // Known names nested below the top level are just unknown data.
  auto nested = parse(R"({"grantType":"PASSWORD","userName":"u","password":"p",)"
                      R"("x":{"password":"q","scope":"admin"}})");
  ASSERT_TRUE(nested.ok()) << nested.error().description;
  EXPECT_EQ(nested->password, "p");
  EXPECT_FALSE(nested->scope_present);
}

TEST(V4Request, StringEscapes) {
  auto parsed = parse(R"({"grantType":"PASSWORD","userName":"Ren\u00e9 \"R\" \\ \/ caf\u00E9",)"
                      R"("password":"\ud83d\ude00\n\t"})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().description;
  EXPECT_EQ(parsed->user_name, "Ren\xc3\xa9 \"R\" \\ / caf\xc3\xa9");
  EXPECT_EQ(parsed->password, "\xf0\x9f\x98\x80\n\t");
  // Raw UTF-8 passes through unchanged.
  auto raw = parse(password_body("Ren\xc3\xa9", "\xe2\x82\xac"));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->user_name, "Ren\xc3\xa9");
  // Escaped member names are the same names.
  auto escaped_key = parse(R"({"grant\u0054ype":"PASSWORD","userName":"u","password":"p"})");
  ASSERT_TRUE(escaped_key.ok()) << escaped_key.error().description;
}

TEST(V4Request, DuplicateKeys) {
  expect_invalid_request(
      R"({"grantType":"PASSWORD","userName":"u","password":"p","password":"q"})");
  expect_invalid_request(
      R"({"grantType":"PASSWORD","grantType":"REFRESH_TOKEN","userName":"u","password":"p"})");
  expect_invalid_request(
      R"({"grantType":"PASSWORD","userName":"u","password":"p","scope":"","scope":"admin"})");
  // Same name spelled with an escape.
  expect_invalid_request(
      R"({"grantType":"PASSWORD","userName":"u","user\u004eame":"v","password":"p"})");
  // Unknown members, and nested objects, too: never first- or last-wins anywhere.
  expect_invalid_request(R"({"grantType":"PASSWORD","userName":"u","password":"p","x":1,"x":2})");
  expect_invalid_request(
      R"({"grantType":"PASSWORD","userName":"u","password":"p","x":{"a":1,"b":2,"a":3}})");
  expect_invalid_request(
      R"({"grantType":"PASSWORD","userName":"u","password":"p","x":[{"a":1},{"b":1,"b":1}]})");
  auto repeated = parse(R"({"grantType":"PASSWORD","userName":"u","password":"p","x":1,"x":2})");
  ASSERT_FALSE(repeated.ok());
  EXPECT_EQ(repeated.error().description, "the JSON body repeats a member name");
  // The same name in sibling objects is not a duplicate.
  EXPECT_TRUE(
      parse(R"({"grantType":"PASSWORD","userName":"u","password":"p","x":[{"a":1},{"a":1}]})")
          .ok());
}

TEST(V4Request, MalformedDocuments) {
  for (std::string_view body : {
           "",
           " ",
           "\n\t\r ",
           "null",
           "true",
           "0",
           "\"PASSWORD\"",
           "[]",
           R"([{"grantType":"PASSWORD","userName":"u","password":"p"}])",
           "{",
           "}",
           R"({"grantType":"PASSWORD","userName":"u","password":"p")",    // unterminated
           R"({"grantType":"PASSWORD","userName":"u","password":"p"}})",  // trailing garbage
           R"({"grantType":"PASSWORD","userName":"u","password":"p"} x)",
           R"({"grantType":"PASSWORD","userName":"u","password":"p"}{})",  // two documents
           R"({"grantType":"PASSWORD","userName":"u","password":"p"} {"a":1})",
           R"({"grantType":"PASSWORD","userName":"u","password":"p"}
{"grantType":"PASSWORD"})",
           R"({"grantType":"PASSWORD","userName":"u","password":"p",})",  // trailing comma
           R"({"grantType":"PASSWORD","userName":"u","password":"p","x":[1,]})",
           R"({"grantType":"PASSWORD",/* c */"userName":"u","password":"p"})",  // comments
           R"({"grantType":"PASSWORD","userName":"u","password":"p"} // c)",
           R"({"grantType":"PASSWORD","userName":"u","password":"p"}/**/)",
           R"({'grantType':'PASSWORD'})",  // single quotes
           R"({grantType:"PASSWORD"})",    // bare key
           R"({"grantType":"PASSWORD","userName":u,"password":"p"})",
           R"({"grantType":"PASSWORD","userName":"u","password":"p","x":NaN})",
           R"({"grantType":"PASSWORD","userName":"u","password":"p","x":Infinity})",
           R"({"grantType":"PASSWORD","userName":"u","password":"p","x":01})",
           "{\"grantType\":\"PASSWORD\",\"userName\":\"a\tb\",\"password\":\"p\"}",  // raw tab
           R"({"grantType":"PASSWORD","userName":"u\x","password":"p"})",            // bad escape
           "\xef\xbb\xbf{\"grantType\":\"PASSWORD\",\"userName\":\"u\",\"password\":\"p\"}",  // BOM
       }) {
    expect_invalid_request(body);
  }
  EXPECT_EQ(parse("").error().description, "the request body is empty");
  EXPECT_EQ(parse("[]").error().description, "the request body must be a JSON object");
  EXPECT_EQ(parse("null").error().description, "the request body must be a JSON object");
  EXPECT_EQ(parse(std::string(kPasswordBody) + "{}").error().description,
            "the request body must hold exactly one JSON object");
  // A NUL byte after the document is trailing garbage too.
  expect_invalid_request(std::string(kPasswordBody) + std::string(1, '\0'));
}

TEST(V4Request, InvalidUtf8AndSurrogates) {
  for (std::string_view bad :
       {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\x80z", "\xe2\x82"}) {
    expect_invalid_request(password_body(bad, "p"));
    expect_invalid_request(password_body("u", bad));
    // Invalid UTF-8 in an ignored member or in a key is refused all the same.
    expect_invalid_request(
        std::string(R"({"grantType":"PASSWORD","userName":"u","password":"p","x":")") +
        std::string(bad) + "\"}");
    expect_invalid_request(
        std::string(R"({"grantType":"PASSWORD","userName":"u","password":"p",")") +
        std::string(bad) + "\":1}");
  }
  for (std::string_view bad : {R"(\ud800)", R"(\udc00)", R"(\ud800x)", R"(\ud800\u0041)",
                               R"(\udbff\udbff)", R"(a\ud83d)"}) {
    expect_invalid_request(password_body(bad, "p"));
    expect_invalid_request(password_body("u", bad));
  }
}

TEST(V4Request, NumbersAnywhereStayBounded) {
  const std::string base = R"({"grantType":"PASSWORD","userName":"u","password":"p","x":)";
  EXPECT_TRUE(parse(base + "12345678901234567890}").ok());  // beyond int64 but short: ignored
  EXPECT_TRUE(parse(base + "-1.25e-300}").ok());
  expect_invalid_request(base + "1e999}");
  expect_invalid_request(base + "-1e400}");
  expect_invalid_request(base + "1e99999999999999999999}");
  expect_invalid_request(base + std::string(100000, '9') + "}");
  expect_invalid_request(base + "0." + std::string(100000, '0') + "1}");
  expect_invalid_request(R"({"grantType":"PASSWORD","userName":1e999,"password":"p"})");
}

TEST(V4Request, DeepNestingIsRefusedQuickly) {
  const auto start = std::chrono::steady_clock::now();
  for (std::string_view open : {"[", "{\"a\":"}) {
    std::string deep = R"({"grantType":"PASSWORD","userName":"u","password":"p","x":)";
    std::string tail;
    for (int i = 0; i < 100000; ++i) deep += open;
    deep += "1";
    for (int i = 0; i < 100000; ++i) tail += open[0] == '[' ? "]" : "}";
    deep += tail + "}";
    auto parsed = parse(deep);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidRequest);
    EXPECT_EQ(parsed.error().description, "the JSON body is nested too deeply");
    // Unterminated, and as the top-level value.
    expect_invalid_request(std::string(100000, open[0]));
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2));  // generous: the work is a few dozen bytes each

  // Within the limit, nesting is just ignored data.
  std::string ok = R"({"grantType":"PASSWORD","userName":"u","password":"p","x":)";
  const std::size_t levels = kMaxV4JsonDepth - 1;  // the top-level object is one
  ok += std::string(levels, '[') + std::string(levels, ']') + "}";
  EXPECT_TRUE(parse(ok).ok()) << parse(ok).error().description;
  std::string too_deep = R"({"grantType":"PASSWORD","userName":"u","password":"p","x":)";
  too_deep += std::string(levels + 1, '[') + std::string(levels + 1, ']') + "}";
  expect_invalid_request(too_deep);
}

TEST(V4Request, WideObjectsAndLongKeys) {
  std::string wide = R"({"grantType":"PASSWORD","userName":"u","password":"p")";
  for (std::size_t i = 0; i + 3 < kMaxV4ObjectMembers; ++i)
    wide += ",\"k" + std::to_string(i) + "\":0";
  EXPECT_TRUE(parse(wide + "}").ok());
  wide += ",\"one_too_many\":0";
  expect_invalid_request(wide + "}");

  const std::string base = R"({"grantType":"PASSWORD","userName":"u","password":"p",")";
  EXPECT_TRUE(parse(base + std::string(kMaxV4KeyBytes, 'k') + "\":0}").ok());
  expect_invalid_request(base + std::string(kMaxV4KeyBytes + 1, 'k') + "\":0}");
}

TEST(V4Request, WhitespaceIsFine) {
  const std::string ws(64 * 1024, ' ');
  std::string padded = ws + "{" + ws + "\"grantType\"" + ws + ":" + ws + "\"PASSWORD\"" + ws + "," +
                       "\"userName\":\"u\"," + ws + "\"password\":\"p\"" + ws + "}" + ws;
  const auto start = std::chrono::steady_clock::now();
  auto parsed = parse(padded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  ASSERT_TRUE(parsed.ok()) << parsed.error().description;
  EXPECT_EQ(parsed->password, "p");
  std::string mixed;
  for (int i = 0; i < 16 * 1024; ++i) mixed += " \t\r\n";
  expect_invalid_request(mixed);                         // whitespace alone
  expect_invalid_request(std::string(64 * 1024, '\v'));  // not JSON whitespace
}

TEST(V4Request, ErrorsNeverEchoSecrets) {
  const std::string password = "hunter2-SECRET";
  const std::string token = "rt-SECRET-token";
  for (const std::string& body :
       {password_body("u", password + std::string(2000, 'x')),
        R"({"grantType":"REFRESH_TOKEN","refreshToken":")" + token + std::string(600, 'x') +
            R"(","scope":"admin"})",
        R"({"grantType":"PASSWORD","userName":"u","password":")" + password + R"(","scope":"bad"})",
        R"({"grantType":"PASSWORD","userName":"u","password":")" + password +
            R"(","password":"x"})",
        R"({"grantType":"SECRET","userName":"u","password":")" + password + R"("})",
        R"({"grantType":"PASSWORD","userName":"u","password":")" + password + R"("} SECRET)"}) {
    auto parsed = parse(body);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().description.find("SECRET"), std::string::npos)
        << parsed.error().description;
  }
}

TEST(V4Request, AggregateCopiesAndWipes) {
  static_assert(std::is_aggregate_v<V4TokenRequest>);
  static_assert(std::is_move_constructible_v<V4TokenRequest>);
  static_assert(std::is_copy_constructible_v<V4TokenRequest>);
  static_assert(std::is_move_assignable_v<V4TokenRequest>);
  const V4TokenRequest designated{
      .grant = V4TokenRequest::Grant::kRefreshToken, .refresh_token = "t", .scope_present = true};
  EXPECT_EQ(designated.refresh_token, "t");
  EXPECT_FALSE(designated.offline_access);

  auto parsed = parse(kPasswordBody);
  ASSERT_TRUE(parsed.ok());
  V4TokenRequest moved = std::move(parsed).value();
  EXPECT_EQ(moved.password, "pa55 word!");
  V4TokenRequest other;
  other.password = std::string(100, 'z');
  other = std::move(moved);
  EXPECT_EQ(other.password, "pa55 word!");
  EXPECT_EQ(other.user_name, "sagarzond@gmail.com");
  EXPECT_TRUE(other.offline_access);

  std::string secret(100, 's');
  const char* data = secret.data();
  const std::size_t capacity = secret.capacity();
  wipe_string(secret);
  EXPECT_TRUE(secret.empty());
  EXPECT_EQ(secret.data(), data);  // same buffer, now zeroed
  for (std::size_t i = 0; i < capacity; ++i) ASSERT_EQ(data[i], '\0');
}

}  // namespace
}  // namespace connect_auth::protocol
