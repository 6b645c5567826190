// The cmake-js addon: C++ with node-addon-api. Sums an array with std::accumulate on a vector,
// so the addon needs libstdc++ as any C++ addon does.
#include <napi.h>
#include <numeric>
#include <vector>

static Napi::Value Sum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) {
    Napi::TypeError::New(env, "sum expects an array of numbers").ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<double> values;
  for (uint32_t i = 0; i < arr.Length(); i++) values.push_back(arr.Get(i).As<Napi::Number>().DoubleValue());
  return Napi::Number::New(env, std::accumulate(values.begin(), values.end(), 0.0));
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sum", Napi::Function::New(env, Sum));
  exports.Set("name", Napi::String::New(env, "cmake-js addon"));
  return exports;
}

NODE_API_MODULE(cmake_addon, Init)
