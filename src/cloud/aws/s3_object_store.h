// S3 as a jobs::ObjectStore (data staging, the trainer's syncs), with its own HTTP client.
#pragma once

#include <memory>

#include "cloud/aws/credentials.h"
#include "cloud/aws/s3_client.h"
#include "core/events.h"
#include "jobs/object_store.h"

namespace mlbox::cloud::aws {

// `region` empty: the chain's; the endpoint honours AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL.
std::unique_ptr<jobs::ObjectStore> make_s3_object_store(config::EnvGetter env,
                                                        const std::string& region,
                                                        Observer& observer);

}  // namespace mlbox::cloud::aws
