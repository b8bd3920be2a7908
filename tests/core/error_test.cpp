#include "core/error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

namespace connect_auth {
namespace {

struct Named {
  ErrorCode code;
  std::string_view name;
};

// The names are wire values: RFC 6749 §5.2 and RFC 6750 §3.1 spell the OAuth ones exactly.
constexpr Named kNames[] = {
    {ErrorCode::kInvalidRequest, "invalid_request"},
    {ErrorCode::kInvalidClient, "invalid_client"},
    {ErrorCode::kInvalidGrant, "invalid_grant"},
    {ErrorCode::kUnauthorizedClient, "unauthorized_client"},
    {ErrorCode::kUnsupportedGrantType, "unsupported_grant_type"},
    {ErrorCode::kInvalidScope, "invalid_scope"},
    {ErrorCode::kInvalidToken, "invalid_token"},
    {ErrorCode::kInsufficientScope, "insufficient_scope"},
    {ErrorCode::kNotFound, "not_found"},
    {ErrorCode::kMethodNotAllowed, "method_not_allowed"},
    {ErrorCode::kPayloadTooLarge, "payload_too_large"},
    {ErrorCode::kHeaderFieldsTooLarge, "request_header_fields_too_large"},
    {ErrorCode::kUnsupportedMediaType, "unsupported_media_type"},
    {ErrorCode::kTooManyRequests, "too_many_requests"},
    {ErrorCode::kRequestTimeout, "request_timeout"},
    {ErrorCode::kStorageNotFound, "not_found"},
    {ErrorCode::kStorageConflict, "conflict"},
    {ErrorCode::kStorageUnavailable, "temporarily_unavailable"},
    {ErrorCode::kServiceBusy, "temporarily_unavailable"},
    {ErrorCode::kInternal, "server_error"},
};

TEST(ErrorCodeTest, EveryCodeHasItsName) {
  for (const Named& named : kNames) {
    EXPECT_EQ(error_code_name(named.code), named.name) << static_cast<int>(named.code);
  }
}

TEST(ErrorCodeTest, TableCoversTheWholeEnum) {
  // Enumerators are dense from 0 to kInternal; a new one added without a name shows up here.
  constexpr int kLast = static_cast<int>(ErrorCode::kInternal);
  EXPECT_EQ(std::size(kNames), static_cast<std::size_t>(kLast + 1));
  for (int i = 0; i <= kLast; ++i) {
    std::string_view name = error_code_name(static_cast<ErrorCode>(i));
    EXPECT_FALSE(name.empty()) << i;
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
    // Only kInternal may use the fallback name; any other code reaching it has no case.
    if (i != kLast) {
      EXPECT_NE(name, "server_error") << i;
    }
  }
}

// Two pairs share a wire name on purpose: the two "not found"s, and the two kinds of
// temporarily_unavailable (a store fault, a full worker pool).
TEST(ErrorCodeTest, NamesAreDistinctExceptTheDeliberatePairs) {
  std::set<std::string_view> names;
  for (const Named& named : kNames) names.insert(error_code_name(named.code));
  EXPECT_EQ(names.size(), std::size(kNames) - 2);
}

TEST(ErrorCodeTest, OutOfRangeValueFallsBackToServerError) {
  EXPECT_EQ(error_code_name(static_cast<ErrorCode>(200)), "server_error");
}

TEST(ErrorTest, MakeErrorKeepsCodeAndDescription) {
  Error error = make_error(ErrorCode::kInvalidGrant, "refresh token is unknown");
  EXPECT_EQ(error.code, ErrorCode::kInvalidGrant);
  EXPECT_EQ(error.description, "refresh token is unknown");
}

}  // namespace
}  // namespace connect_auth
