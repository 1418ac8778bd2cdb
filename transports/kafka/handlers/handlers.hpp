#pragma once

// One function per Kafka API; handler_table.cpp lists them with their versions.

#include "handlers/handler.hpp"

namespace junction::kafka {

void handle_api_versions(BrokerContext& context, const Request& request, Responder responder);
void handle_metadata(BrokerContext& context, const Request& request, Responder responder);
void handle_produce(BrokerContext& context, const Request& request, Responder responder);
void handle_fetch(BrokerContext& context, const Request& request, Responder responder);
void handle_list_offsets(BrokerContext& context, const Request& request, Responder responder);
void handle_init_producer_id(BrokerContext& context, const Request& request, Responder responder);

}  // namespace junction::kafka
