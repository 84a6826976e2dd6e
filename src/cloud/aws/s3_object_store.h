// S3 as a jobs::ObjectStore (data staging, fetch, the trainer's syncs).
#pragma once

#include <memory>

#include "cloud/aws/credentials.h"
#include "cloud/aws/s3_client.h"
#include "core/events.h"
#include "jobs/object_store.h"

namespace mlbox::cloud::aws {

// Over a client someone else owns (a backend's); `s3` must outlive the store.
std::unique_ptr<jobs::ObjectStore> s3_object_store(S3Client& s3);
// With its own HTTP client; credentials from the chain, else (inside a Batch/ECS container)
// the task role's. `region` empty: the chain's; the endpoint honours AWS_ENDPOINT_URL_S3 /
// AWS_ENDPOINT_URL.
std::unique_ptr<jobs::ObjectStore> make_s3_object_store(config::EnvGetter env,
                                                        const std::string& region,
                                                        Observer& observer);

}  // namespace mlbox::cloud::aws
