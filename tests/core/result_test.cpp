#include "core/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace connect_auth {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return make_error(ErrorCode::kInvalidRequest, "odd");
  return n / 2;
}

Result<void> check_positive(int n) {
  if (n <= 0) return make_error(ErrorCode::kInvalidRequest, "not positive");
  return Ok{};
}

TEST(ResultTest, HoldsAValue) {
  Result<int> r = half(8);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 4);
  EXPECT_EQ(*r, 4);
}

TEST(ResultTest, HoldsAnError) {
  Result<int> r = half(7);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(r.error().description, "odd");
}

TEST(ResultTest, MovesOutMoveOnlyValuesAndErrors) {
  Result<std::unique_ptr<std::string>> r = std::make_unique<std::string>("x");
  ASSERT_TRUE(r.ok());
  std::unique_ptr<std::string> owned = std::move(r).value();
  ASSERT_NE(owned, nullptr);
  EXPECT_EQ(*owned, "x");

  Result<std::string> failed = make_error(ErrorCode::kStorageUnavailable, "db down");
  Error error = std::move(failed).error();
  EXPECT_EQ(error.code, ErrorCode::kStorageUnavailable);
  EXPECT_EQ(error.description, "db down");
}

TEST(ResultTest, ArrowReachesMembers) {
  Result<std::string> r = std::string("abc");
  EXPECT_EQ(r->size(), 3u);
}

TEST(ResultVoidTest, DefaultAndOkAreSuccess) {
  Result<void> by_default;
  EXPECT_TRUE(by_default.ok());
  EXPECT_TRUE(check_positive(1).ok());
}

TEST(ResultVoidTest, CarriesAnError) {
  Result<void> r = check_positive(0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(r.error().description, "not positive");
  Error moved = std::move(r).error();
  EXPECT_EQ(moved.description, "not positive");
}

}  // namespace
}  // namespace connect_auth
