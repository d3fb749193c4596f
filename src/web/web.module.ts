import { DynamicModule, Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import { LOGGER } from '../core/logging/logger';

/** Where `npm run build:web` puts the admin UI (dist/src/web/ → dist/web/). */
export const WEB_ROOT = path.resolve(__dirname, '../../web');

/**
 * Paths the SPA fallback never answers: the API, the OAuth2 callback, health, metrics and the
 * OpenAPI pages keep their own answers (and their own 404s), and a missing asset is a 404, not
 * index.html under a script's name.
 */
export const NOT_UI_PATHS = ['/v1{/*path}', '/oauth{/*path}', '/health{/*path}', '/metrics{/*path}', '/docs{*path}', '/assets{/*path}', '/favicon.ico'];

/**
 * The UI's security headers. Scripts only from this origin (no inline script, no eval);
 * inline styles are allowed because the component library sets CSS variables in style
 * attributes and mail HTML carries its own. Mail HTML is shown in a sandboxed iframe without
 * scripts. `same-origin-allow-popups` keeps window.opener for the OAuth2 consent popup, whose
 * callback page posts its result back to this page.
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function setUiHeaders(res: ServerResponse, filePath: string): void {
  res.setHeader('Content-Security-Policy', UI_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin-allow-popups');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  // Vite puts a content hash in every file name under assets/: those never change.
  const immutable = filePath.split(path.sep).includes('assets');
  res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
}

@Injectable()
class MissingUiNotice implements OnModuleInit {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  onModuleInit(): void {
    this.logger.warn({ webRoot: WEB_ROOT }, 'the admin UI is not built (no index.html): run `npm run build:web`; the API works without it');
  }
}

/** Serves the built admin UI at `/`, with an SPA fallback for its client-side routes. */
@Module({})
export class WebModule {
  static forRoot(root = WEB_ROOT): DynamicModule {
    if (!existsSync(path.join(root, 'index.html'))) return { module: WebModule, providers: [MissingUiNotice] };
    return {
      module: WebModule,
      imports: [
        ServeStaticModule.forRoot({
          rootPath: root,
          exclude: NOT_UI_PATHS,
          serveStaticOptions: { index: 'index.html', dotfiles: 'ignore', redirect: false, cacheControl: false, setHeaders: setUiHeaders },
        }),
      ],
    };
  }
}
