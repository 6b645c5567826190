/* The node-gyp addon: plain C against Node-API. hypot(a, b) from libm, and a greeting. */
#include <math.h>
#include <node_api.h>

static napi_value Hypot(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double a = 0, b = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_double(env, argv[0], &a) != napi_ok || napi_get_value_double(env, argv[1], &b) != napi_ok) {
    napi_throw_type_error(env, NULL, "hypot expects two numbers");
    return NULL;
  }
  napi_value out;
  napi_create_double(env, hypot(a, b), &out);
  return out;
}

static napi_value Greet(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_string_utf8(env, "hello from a node-gyp addon", NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"hypot", NULL, Hypot, NULL, NULL, NULL, napi_default, NULL},
    {"greet", NULL, Greet, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
