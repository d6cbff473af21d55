-- wrk script: POST /v1/chat/handshake with a token and a small body
wrk.method = "POST"
wrk.body = '{"messages":[{"role":"user","content":"hi"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2ln"
