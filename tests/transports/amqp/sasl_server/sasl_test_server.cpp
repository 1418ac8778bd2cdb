// A minimal Proton C++ server that authenticates with SaslAuthenticator and
// accepts every message it receives: SASL tested on its own, without junctiond.
// Usage: sasl_test_server MECHANISMS [USER=PASSWORD ...]   (MECHANISMS: "ANONYMOUS,PLAIN")
// Prints "listening PORT" once ready, then "received USER BODY" per message.
#include <proton/connection.hpp>
#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/listen_handler.hpp>
#include <proton/listener.hpp>
#include <proton/message.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/sasl.hpp>
#include <proton/sender.hpp>
#include <proton/session.hpp>
#include <proton/transport.hpp>

#include <iostream>
#include <sstream>
#include <string>

#include "sasl/sasl_authenticator.hpp"

namespace {

using junction::amqp::SaslAuthenticator;
using junction::amqp::SaslConfig;

class Server : public proton::messaging_handler, public proton::listen_handler {
 public:
  explicit Server(SaslAuthenticator& authenticator) : authenticator_(authenticator) {}

  void on_open(proton::listener& listener) override {
    std::cout << "listening " << listener.port() << std::endl;
  }
  proton::connection_options on_accept(proton::listener& listener) override {
    return authenticator_.accept(listener).handler(*this);
  }
  void on_error(proton::listener&, const std::string& what) override {
    std::cerr << "listen error: " << what << std::endl;
  }
  void on_connection_open(proton::connection& connection) override {
    if (authenticator_.admit(connection)) connection.open();
  }
  void on_session_open(proton::session& session) override {
    if (authenticator_.admitted(session.connection())) session.open();
  }
  void on_receiver_open(proton::receiver& receiver) override {
    if (authenticator_.admitted(receiver.connection())) receiver.open();
  }
  void on_sender_open(proton::sender& sender) override {
    if (authenticator_.admitted(sender.connection())) sender.open();
  }
  void on_message(proton::delivery& delivery, proton::message& message) override {
    std::cout << "received " << delivery.connection().transport().sasl().user() << " "
              << proton::get<std::string>(message.body()) << std::endl;
  }
  void on_transport_error(proton::transport& transport) override {
    std::cerr << "transport error: " << transport.error().what() << std::endl;
  }

 private:
  SaslAuthenticator& authenticator_;
};

SaslConfig config_from(int argc, char** argv) {
  SaslConfig config;
  std::string mechanisms = argv[1];
  config.anonymous = mechanisms.find("ANONYMOUS") != std::string::npos;
  config.plain = mechanisms.find("PLAIN") != std::string::npos;
  for (int i = 2; i < argc; ++i) {
    std::string user = argv[i];
    auto equals = user.find('=');
    config.passwords.emplace(user.substr(0, equals), user.substr(equals + 1));
  }
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: sasl_test_server MECHANISMS [USER=PASSWORD ...]\n";
    return 2;
  }
  static const junction::Logger logger{"amqp"};
  SaslAuthenticator authenticator(config_from(argc, argv), logger);
  Server server(authenticator);
  proton::container container(server);
  container.listen("127.0.0.1:0", server);
  container.run();
  return 0;
}
