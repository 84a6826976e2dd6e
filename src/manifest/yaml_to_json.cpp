#include "manifest/yaml_to_json.h"

#include "util/numbers.h"

namespace mlbox::manifest {

nlohmann::json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json obj = nlohmann::json::object();
      for (auto it = n.begin(); it != n.end(); ++it)
        obj[it->first.Scalar()] = yaml_to_json(it->second);
      return obj;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& item : n) arr.push_back(yaml_to_json(item));
      return arr;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted
      if (s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      if (auto i = parse_i64(s)) return *i;
      if (auto d = parse_decimal_double(s)) return *d;
      return s;  // also numbers too large for a double: kept as written
    }
    default:
      return nullptr;
  }
}

}  // namespace mlbox::manifest
