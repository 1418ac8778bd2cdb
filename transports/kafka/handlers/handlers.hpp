#pragma once

// One function per Kafka API; handler_table.cpp lists them with their versions.

#include "handlers/handler.hpp"

namespace junction::kafka {

void handle_api_versions(BrokerContext& context, const Request& request, Responder responder);
void handle_metadata(BrokerContext& context, const Request& request, Responder responder);
void handle_create_topics(BrokerContext& context, const Request& request, Responder responder);
void handle_delete_topics(BrokerContext& context, const Request& request, Responder responder);
void handle_describe_configs(BrokerContext& context, const Request& request, Responder responder);

}  // namespace junction::kafka
