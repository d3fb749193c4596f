import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

/**
 * Whitelist + forbidNonWhitelisted (unknown fields are a 400), and messages that name
 * the full path of the field, e.g. `incoming.port must not be greater than 65535`.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => new BadRequestException(flatten(errors)),
  });
}

export function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      // class-validator starts messages with the bare property name; put the full path there.
      message.startsWith(`${error.property} `) ? `${field}${message.slice(error.property.length)}` : `${field}: ${message}`,
    );
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
