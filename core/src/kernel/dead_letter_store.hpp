#pragma once

#include <functional>
#include <string>

#include "junction/kernel.hpp"

namespace junction::kernel {

// Appends a subscription's dead letter to `topic` through `kernel`, creating
// the topic (one partition) whatever auto_create says: a record is never
// dropped for want of a place to put it. `done(true)` once it is stored.
void store_dead_letter(Kernel& kernel, const std::string& topic, Record record,
                       std::function<void(bool stored)> done);

}  // namespace junction::kernel
