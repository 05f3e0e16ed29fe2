FROM node:20-bookworm-slim
WORKDIR /opt/pgrelay
RUN npm install -g pnpm@12
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build
EXPOSE 9999 9898
