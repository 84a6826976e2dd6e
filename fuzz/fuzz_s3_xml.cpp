// S3 XML answers: ListObjectsV2 pages and CreateMultipartUpload's UploadId.
#include "cloud/aws/s3_client.h"
#include "fuzz_support.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = mlbox::fuzz::as_text(data, size);
  try {
    (void)mlbox::cloud::aws::parse_list_objects_page(text);
  } catch (const mlbox::Error&) {
  }
  try {
    (void)mlbox::cloud::aws::xml_elements(text, "UploadId");
  } catch (const mlbox::Error&) {
  }
  return 0;
}
