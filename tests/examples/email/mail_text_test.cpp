#include "mail_service/mail_text.hpp"

#include <gtest/gtest.h>

#include "common/events.hpp"

namespace {

using email::compose_mail;

TEST(MailText, ASignUpBecomesAWelcomeMail) {
  const auto mail = compose_mail("member.signed-up", email::member_signed_up_json(3));

  ASSERT_TRUE(mail.has_value());
  EXPECT_EQ(mail->event_id, "member-0003");
  EXPECT_EQ(mail->to, "edsger@example.com");
  EXPECT_NE(mail->text.find("Subject: Welcome, Edsger Dijkstra!\n"), std::string::npos);
  EXPECT_NE(mail->text.find("X-Event-Id: member-0003\n"), std::string::npos);
}

TEST(MailText, ACompletedOrderBecomesAnOrderMail) {
  const auto mail = compose_mail("order.completed", email::order_completed_json(12));

  ASSERT_TRUE(mail.has_value());
  EXPECT_EQ(mail->event_id, "order-0012");
  EXPECT_NE(mail->text.find("Subject: Your order order-0012 is complete\n"), std::string::npos);
  EXPECT_NE(mail->text.find("(22.00 EUR)"), std::string::npos);
}

TEST(MailText, AnEventWithoutIdOrAddressMakesNoMail) {
  EXPECT_FALSE(compose_mail("member.signed-up", R"({"name":"Ada","email":"ada@example.com"})"));
  EXPECT_FALSE(compose_mail("member.signed-up", R"({"id":"member-1","name":"Ada"})"));
  EXPECT_FALSE(compose_mail("member.signed-up", "not json"));
}

TEST(MailText, AnIdThatCannotNameAFileMakesNoMail) {
  EXPECT_FALSE(compose_mail("member.signed-up",
                            R"({"id":"../../etc/x","name":"Ada","email":"ada@example.com"})"));
  EXPECT_FALSE(compose_mail("member.signed-up",
                            R"({"id":".hidden","name":"Ada","email":"ada@example.com"})"));
}

}  // namespace
