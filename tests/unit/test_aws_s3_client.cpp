#include <doctest/doctest.h>

#include "cloud/aws/s3_client.h"
#include "util/error.h"

using namespace mlbox;
using mlbox::cloud::aws::xml_elements;

TEST_CASE("s3 xml: entities and character references decode, UTF-8 included") {
  auto keys = xml_elements(
      "<Contents><Key>a&amp;b&lt;&gt;&quot;&apos;&#233;&#x1F600;</Key></Contents>", "Key");
  REQUIRE(keys.size() == 1);
  CHECK(keys[0] == "a&b<>\"'\xC3\xA9\xF0\x9F\x98\x80");
}

TEST_CASE("s3 xml: a malformed character reference is a clear remote error") {
  for (const char* xml :
       {"<Key>a&#;b</Key>", "<Key>&#x;</Key>", "<Key>&#99999999999999999999;</Key>",
        "<Key>&#xD800;</Key>", "<Key>&#0;</Key>", "<Key>&#-5;</Key>", "<Key>&bogus;</Key>",
        "<Key>a&b</Key>"}) {
    CAPTURE(xml);
    try {
      xml_elements(xml, "Key");
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kRemote);
      CHECK(std::string(e.what()).find("character reference") != std::string::npos);
    }
  }
}

TEST_CASE("s3 listing: a key with '&#;' or a bad size is a remote error, not 'internal error: stol'") {
  const char* ok =
      "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t&amp;1"
      "</NextContinuationToken><Contents><Key>a/b</Key><Size>12</Size><ETag>&quot;e&quot;</ETag>"
      "</Contents></ListBucketResult>";
  auto page = mlbox::cloud::aws::parse_list_objects_page(ok);
  REQUIRE(page.objects.size() == 1);
  CHECK(page.objects[0].size == 12);
  CHECK(page.objects[0].etag == "\"e\"");
  CHECK(page.next_token == "t&1");
  for (const char* bad : {"<Contents><Key>x&#;y</Key><Size>1</Size></Contents>",
                          "<Contents><Key>x</Key><Size>-1</Size></Contents>",
                          "<Contents><Key>x</Key><Size>99999999999999999999</Size></Contents>"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(mlbox::cloud::aws::parse_list_objects_page(bad), Error);
  }
}
