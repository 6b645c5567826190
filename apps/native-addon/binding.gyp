{
  "targets": [
    {
      "target_name": "gyp_addon",
      "sources": ["src/gyp_addon.c"],
      "libraries": ["-lm"]
    }
  ]
}
