export { startS3rver, type S3rverProcess } from './s3rver.js';
