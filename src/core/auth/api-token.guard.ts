import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import crypto from 'node:crypto';
import type { Request } from 'express';
import { IS_PUBLIC } from './public.decorator';

export const API_TOKEN = Symbol('API_TOKEN');

/**
 * Every route needs `Authorization: Bearer <token>` unless marked @Public(). Default-deny,
 * so a new controller cannot be exposed by forgetting a decorator.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly expectedDigest: Buffer;

  constructor(
    private readonly reflector: Reflector,
    @Inject(API_TOKEN) apiToken: string,
  ) {
    this.expectedDigest = digest(apiToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    // Comparing fixed-length digests keeps the comparison constant-time whatever the input length.
    if (!match || !crypto.timingSafeEqual(digest(match[1]), this.expectedDigest)) {
      throw new UnauthorizedException(match ? 'the API token is wrong' : 'an API token is required: Authorization: Bearer <token>');
    }
    return true;
  }
}

const digest = (value: string): Buffer => crypto.createHash('sha256').update(value).digest();
