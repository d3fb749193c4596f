FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc's allocator, as `npm start` sets it (README, "Memory"): one arena shared by the parse
# workers instead of one each, and big buffers given back to the system when freed.
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576
COPY --from=build /app /app
EXPOSE 3000
CMD ["node", "dist/src/main.js"]
